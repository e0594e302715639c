#!/bin/bash
# Run VM scenarios: lib/scenario.sh NAME... | all
#
# A scenario is tests/vm/scenarios/NAME/ with scenario.conf, break.sh and
# repair.sh. For each one:
#  1. the base image (cached by recipe hash);
#  2. break.sh runs in the rescue environment on a qcow2 overlay of the base;
#  3. negative control: the broken target boots through its own boot loader
#     and must not reach the marker. The broken overlay and this verdict are
#     cached by the hash of (base image key, break script, scenario.conf), so
#     they are redone only when one of those changes;
#  4. repair.sh (the scripted repair, the oracle for 'rescue --auto') runs in
#     the rescue environment on a fresh overlay of the broken image;
#  5. positive check: the repaired target boots and reaches the marker.
# Every wait has a timeout; serial logs of failures are kept in $VM_KEEP;
# temporary overlays are removed at exit. Exit 0 when every scenario passed.
. "$(dirname "$0")/harness.sh"

run_scenario() {
	local name=$1 dir=$VM_TOP/scenarios/$1
	[ -f "$dir/scenario.conf" ] || die "no scenario $name"
	SCENARIO=$name
	# Defaults; scenario.conf overrides.
	BASE="" NEG_TIMEOUT=240 REPAIR_TIMEOUT=1200 POS_TIMEOUT=480 REPAIR_EXIT=0
	NEG_PASS="" CHECK_UNCHANGED=0 FAIL_PATTERNS=() JOB_EXTRA=""
	prepare() { :; }
	# shellcheck disable=SC1091
	. "$dir/scenario.conf"
	local t0=$SECONDS base bkey key broken verdict meta
	log "scenario $name: $DESCRIPTION"
	base=$(base_image "$BASE") || return 1
	meta=()
	mapfile -t meta < "$base.meta"
	bkey=$(basename "$base" .qcow2)
	key=$(echo "$bkey" | cat - "$dir/break.sh" "$dir/scenario.conf" "$VM_LIB/guest.sh" | sha256sum | cut -c1-16)
	broken=$VM_CACHE/broken/$name-$key.qcow2
	verdict=$broken.verdict
	mkdir -p "$VM_CACHE/broken"
	T_BASE=$((SECONDS - t0))

	local t1=$SECONDS job
	if [ -s "$verdict" ] && [ -s "$broken" ]; then
		log "broken image and negative control cached: $(cat "$verdict")"
		T_BREAK=0 T_NEG=0 NEG_CACHED=yes
	else
		NEG_CACHED=no
		# Broken images of older versions of this scenario or base are stale.
		rm -f "$VM_CACHE/broken/$name"-*.qcow2 "$VM_CACHE/broken/$name"-*.qcow2.*
		overlay "$base" "$broken.tmp"
		# prepare (scenario.conf, on the host) may fetch files for the job.
		prepare "${meta[@]}" || { echo "FAIL: prepare for $name failed" >&2; return 1; }
		job=$(make_job "$VM_DIR/break" "$dir/break.sh" "${meta[@]}")
		JOB_EXTRA=""
		log "break: running break.sh in the rescue environment"
		run_job break 600 "$job" $(vdisk "$broken.tmp" qcow2 target)
		local rc=$?
		if [ $rc -ne 0 ]; then
			vm_keep_log "break.sh exited $rc"
			rm -f "$broken.tmp"
			return 1
		fi
		mv "$broken.tmp" "$broken"
		T_BREAK=$((SECONDS - t1))
		log "break done in ${T_BREAK}s; negative control"
		local t2=$SECONDS
		overlay "$broken" "$VM_DIR/neg.qcow2"
		local savepass=$VM_PASS
		[ -n "$NEG_PASS" ] && VM_PASS=$NEG_PASS
		boot_target negative "$VM_DIR/neg.qcow2" "$NEG_TIMEOUT" "${FAIL_PATTERNS[@]}"
		VM_PASS=$savepass
		rm -f "$VM_DIR/neg.qcow2"
		T_NEG=$((SECONDS - t2))
		case $BOOT_RESULT in
		marker)
			vm_keep_log "negative control: the broken target reached the marker"
			rm -f "$broken"
			return 1 ;;
		failure) echo "failed to boot as expected: matched '$BOOT_MATCH' after ${BOOT_TIME}s" > "$verdict" ;;
		timeout) echo "did not reach the marker within ${NEG_TIMEOUT}s (no failure message matched)" > "$verdict" ;;
		exited) echo "the VM stopped after ${BOOT_TIME}s without reaching the marker" > "$verdict" ;;
		esac
		cp "$VM_LOG" "$broken.negative.log"
		log "negative control: $(cat "$verdict")"
	fi

	local t3=$SECONDS work=$VM_DIR/work.qcow2
	overlay "$broken" "$work"
	job=$(make_job "$VM_DIR/repair" "$dir/repair.sh" "${meta[@]}")
	log "rescue step: repair.sh in the rescue environment"
	run_job repair "$REPAIR_TIMEOUT" "$job" $(vdisk "$work" qcow2 target)
	local rc=$?
	T_REPAIR=$((SECONDS - t3))
	if [ "$rc" -ne "$REPAIR_EXIT" ]; then
		vm_keep_log "repair.sh exited $rc, expected $REPAIR_EXIT"
		return 1
	fi
	log "rescue step done in ${T_REPAIR}s (exit $rc as expected)"
	if [ "$CHECK_UNCHANGED" = 1 ]; then
		qemu-img compare -q "$broken" "$work" || { echo "FAIL: the rescue step changed the disk" >&2; return 1; }
		log "disk contents unchanged by the rescue step (qemu-img compare)"
	fi

	local t4=$SECONDS
	boot_target positive "$work" "$POS_TIMEOUT" 'Kernel panic' 'You are in emergency mode' \
		'Entering emergency mode' 'dracut Warning: Could not boot' 'Give root password'
	T_POS=$((SECONDS - t4))
	rm -f "$work"
	if [ "$BOOT_RESULT" != marker ]; then
		vm_keep_log "positive check: $BOOT_RESULT ${BOOT_MATCH:-}"
		return 1
	fi
	log "positive check: reached the marker after ${BOOT_TIME}s"
	T_TOTAL=$((SECONDS - t0))
	printf 'TIMES %s base=%ss break=%ss negative=%ss(cached=%s) repair=%ss positive=%ss total=%ss\n' \
		"$name" "$T_BASE" "$T_BREAK" "$T_NEG" "$NEG_CACHED" "$T_REPAIR" "$T_POS" "$T_TOTAL"
}

vm_setup
rescue_image
names=("$@")
if [ ${#names[@]} -eq 0 ] || [ "${names[0]}" = all ]; then
	names=()
	for d in "$VM_TOP"/scenarios/*/; do names+=("$(basename "$d")"); done
fi
failed=()
for n in "${names[@]}"; do
	run_scenario "$n" || failed+=("$n")
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED scenarios: ${failed[*]}"
	exit 1
fi
echo "all passed: ${names[*]}"
