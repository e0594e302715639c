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
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

# check_changes DIR MODE OUT: the files the rescue step changed (OUT/changes)
# must be exactly those in DIR/expected-MODE.changes (reviewed and kept in
# git; VM_BLESS=1 writes them from this run instead). For --auto, what the
# scripted repair changed is shown beside it: the comparison with the oracle.
check_changes() {
	local dir=$1 mode=$2 out=$3 exp=$1/expected-$2.changes
	[ -f "$out/changes" ] || { echo "FAIL: the rescue step wrote no list of changes" >&2; return 1; }
	if [ -n "${VM_BLESS:-}" ]; then
		cp "$out/changes" "$exp"
		log "VM_BLESS: wrote $exp"
	fi
	[ -f "$exp" ] || { echo "FAIL: no $exp (review $out/changes, then run with VM_BLESS=1)" >&2; return 1; }
	if ! diff -u "$exp" "$out/changes"; then
		echo "FAIL: the $mode step changed other files than $exp says" >&2
		return 1
	fi
	log "changed files as expected ($(wc -l < "$exp") change(s))"
	if [ "$mode" = auto ] && [ -f "$dir/expected-oracle.changes" ]; then
		if diff -q "$dir/expected-oracle.changes" "$exp" >/dev/null; then
			log "rescue --auto changed the same files as the scripted repair"
		else
			log "rescue --auto compared with the scripted repair (- oracle only, + rescue --auto only):"
			diff "$dir/expected-oracle.changes" "$exp" | grep '^[<>]' | sed 's/^</  -/; s/^>/  +/'
		fi
	fi
}

# check_auto OUT: the dry run's exit status, the report's agreement with the
# exit status, no error left after a repair; prints the time rescue --auto
# took, the generators' share and the tool's own overhead.
check_auto() {
	local out=$1 rc drc
	rc=$(cat "$out/auto.rc") drc=$(cat "$out/dry.rc")
	[ "$drc" = "$AUTO_DRY_EXIT" ] || { echo "FAIL: rescue --auto --dry-run exited $drc, expected $AUTO_DRY_EXIT" >&2; return 1; }
	log "rescue --auto --dry-run exited $drc and wrote nothing to the disk"
	jq -e . "$out/report.json" >/dev/null || { echo "FAIL: no valid JSON report" >&2; return 1; }
	jq -e --argjson rc "$rc" '.schema == "rescue-report/2" and .exit_code == $rc' "$out/report.json" >/dev/null \
		|| { echo "FAIL: the report's exit_code is not the exit status $rc" >&2; return 1; }
	jq -e '.dry_run == true' "$out/dry-report.json" >/dev/null || { echo "FAIL: the dry run's report is missing or not marked dry_run" >&2; return 1; }
	if [ "$rc" = 0 ]; then
		jq -e '.after.errors == 0 and ([.plan.actions[] | select(.status != "done" and .status != "skipped")] | length) == 0' \
			"$out/report.json" >/dev/null || { echo "FAIL: the report shows errors after the repair or actions not done" >&2; jq '.after, .plan.actions' "$out/report.json" >&2; return 1; }
	fi
	if [ -n "$AUTO_REPORT_CHECK" ]; then
		jq -e "$AUTO_REPORT_CHECK" "$out/report.json" >/dev/null \
			|| { echo "FAIL: the report does not satisfy: $AUTO_REPORT_CHECK" >&2; jq '.next_steps' "$out/report.json" >&2; return 1; }
		log "report satisfies: $AUTO_REPORT_CHECK"
	fi
	log "report: outcome '$(jq -r .outcome "$out/report.json")', errors before $(jq -r '.before.errors // "-"' "$out/report.json"), after $(jq -r '.after.errors // "-"' "$out/report.json")"
	local total gen
	total=$(cat "$out/auto.seconds")
	gen=$(jq '[.plan.actions[]?.seconds // 0] | add // 0 | floor' "$out/report.json")
	AUTO_TIMES="auto=${total}s commands=${gen}s overhead=$((total - gen))s"
	log "rescue --auto took ${total}s: ${gen}s in the commands it ran (generator, grub-mkconfig), $((total - gen))s its own"
}

# scenario_load NAME: the scenario's settings (scenario.conf over the defaults).
scenario_load() {
	local name=$1 dir=$VM_TOP/scenarios/$1
	[ -f "$dir/scenario.conf" ] || die "no scenario $name"
	SCENARIO=$name
	# Defaults; scenario.conf overrides.
	BASE="" NEG_TIMEOUT=240 REPAIR_TIMEOUT=1200 POS_TIMEOUT=480 REPAIR_EXIT=0
	NEG_PASS="" CHECK_UNCHANGED=0 FAIL_PATTERNS=() JOB_EXTRA="" BOOT_FIRMWARE=bios
	# RESCUE_FIRMWARE=uefi: the rescue step boots through OVMF too (a fresh
	# variable store: a machine whose boot entries were reset), so rescue
	# sees the firmware's entries in efivarfs.
	RESCUE_FIRMWARE=bios
	# BREAK_FIRMWARE=uefi: break.sh runs booted through OVMF (a fresh
	# variable store), so it can write firmware boot entries (efibootmgr);
	# the store it leaves is cached beside the broken image and is the
	# one the negative control and the rescue step start from.
	BREAK_FIRMWARE=bios
	AUTO_EXIT=0 AUTO_DRY_EXIT=20 AUTO_KEY="" UNDO_CHECK=0 CMDLINE_AUTO=0 AUTO_TIMES="" AUTO_REPORT_CHECK="" NVRAM_KEEP=0
	# NEG_ABSENT: a pattern the negative control's serial log must not
	# hold (for breaks whose failure prints nothing on the serial port).
	NEG_ABSENT=""
	prepare() { :; }
	# shellcheck disable=SC1091
	. "$dir/scenario.conf"
}

# scenario_broken NAME: the base image, then the broken image with its
# negative control (cached); sets BROKEN (the broken image), BROKEN_VARS
# (with BREAK_FIRMWARE=uefi the variable store the break left, else
# empty), META (the base's BASE-META values), T_BASE, T_BREAK, T_NEG,
# NEG_CACHED.
scenario_broken() {
	local name=$1 dir=$VM_TOP/scenarios/$1
	local t0=$SECONDS base bkey key broken verdict meta
	base=$(base_image "$BASE") || return 1
	meta=()
	mapfile -t meta < "$base.meta"
	META=("${meta[@]}")
	bkey=$(basename "$base" .qcow2)
	key=$(echo "$bkey" | cat - "$dir/break.sh" "$dir/scenario.conf" "$VM_LIB/guest.sh" | sha256sum | cut -c1-16)
	broken=$VM_CACHE/broken/$name-$key.qcow2
	verdict=$broken.verdict
	BROKEN_VARS=""
	[ "$BREAK_FIRMWARE" = uefi ] && BROKEN_VARS=$broken.vars.fd
	mkdir -p "$VM_CACHE/broken"
	T_BASE=$((SECONDS - t0))

	local t1=$SECONDS job fw=()
	if [ -s "$verdict" ] && [ -s "$broken" ] && { [ -z "$BROKEN_VARS" ] || [ -s "$BROKEN_VARS" ]; }; then
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
		if [ -n "$BROKEN_VARS" ]; then
			mapfile -t fw < <(ovmf_drives break)
			[ ${#fw[@]} -eq 4 ] || die "OVMF's firmware files are missing (Debian package ovmf)"
		fi
		log "break: running break.sh in the rescue environment${BROKEN_VARS:+ (booted through OVMF)}"
		run_job break 600 "$job" "${fw[@]}" $(vdisk "$broken.tmp" qcow2 target)
		local rc=$?
		if [ $rc -ne 0 ]; then
			vm_keep_log "break.sh exited $rc"
			rm -f "$broken.tmp"
			return 1
		fi
		[ -z "$BROKEN_VARS" ] || cp "$VM_DIR/break.vars.fd" "$BROKEN_VARS"
		mv "$broken.tmp" "$broken"
		T_BREAK=$((SECONDS - t1))
		log "break done in ${T_BREAK}s; negative control"
		local t2=$SECONDS
		overlay "$broken" "$VM_DIR/neg.qcow2"
		local savepass=$VM_PASS
		[ -n "$NEG_PASS" ] && VM_PASS=$NEG_PASS
		BOOT_VARS=$BROKEN_VARS boot_target negative "$VM_DIR/neg.qcow2" "$NEG_TIMEOUT" "${FAIL_PATTERNS[@]}"
		VM_PASS=$savepass
		rm -f "$VM_DIR/neg.qcow2"
		T_NEG=$((SECONDS - t2))
		if [ -n "$NEG_ABSENT" ] && tr -d '\033' < "$VM_LOG" | grep -a -q -E "$NEG_ABSENT"; then
			vm_keep_log "negative control: '$NEG_ABSENT' appeared on the serial console"
			rm -f "$broken" "$BROKEN_VARS"
			return 1
		fi
		case $BOOT_RESULT in
		marker)
			vm_keep_log "negative control: the broken target reached the marker"
			rm -f "$broken" "$BROKEN_VARS"
			return 1 ;;
		failure) echo "failed to boot as expected: matched '$BOOT_MATCH' after ${BOOT_TIME}s" > "$verdict" ;;
		timeout) echo "did not reach the marker within ${NEG_TIMEOUT}s (no failure message matched)${NEG_ABSENT:+; no '$NEG_ABSENT' on the serial console ($(wc -c < "$VM_LOG") bytes)}" > "$verdict" ;;
		exited) echo "the VM stopped after ${BOOT_TIME}s without reaching the marker" > "$verdict" ;;
		esac
		cp "$VM_LOG" "$broken.negative.log"
		log "negative control: $(cat "$verdict")"
	fi
	BROKEN=$broken
}

run_scenario() {
	local name=$1 dir=$VM_TOP/scenarios/$1
	scenario_load "$name"
	local t0=$SECONDS broken meta
	log "scenario $name: $DESCRIPTION"
	scenario_broken "$name" || return 1
	broken=$BROKEN meta=("${META[@]}")

	local t3=$SECONDS work=$VM_DIR/work.qcow2 out=$VM_DIR/out
	overlay "$broken" "$work"
	rm -rf "$out" "$out.img" && mkdir -p "$out"
	# The job's evidence comes back on a disk of its own (a tar archive).
	truncate -s 64M "$out.img"
	local mode=${VM_REPAIR:-auto} expect
	if [ "$mode" = oracle ]; then
		JOB_EXTRA=$dir/repair.sh
		job=$(make_job "$VM_DIR/repair" "$VM_LIB/oracle-job.sh" "${meta[@]}")
		JOB_EXTRA=""
		expect=$REPAIR_EXIT
		log "rescue step: the scripted repair (repair.sh, the oracle) in the rescue environment"
	else
		job=$(make_job "$VM_DIR/repair" "$VM_LIB/auto-job.sh" "${meta[@]}" \
			AUTO_KEY="$AUTO_KEY" UNDO_CHECK="$UNDO_CHECK")
		expect=$AUTO_EXIT
		log "rescue step: rescue --auto in the rescue environment"
	fi
	local fw=()
	if [ "$RESCUE_FIRMWARE" = uefi ]; then
		# The boot entries the break left, or none (a fresh store).
		mapfile -t fw < <(BOOT_VARS=$BROKEN_VARS ovmf_drives repair)
		[ ${#fw[@]} -eq 4 ] || die "OVMF's firmware files are missing (Debian package ovmf)"
	fi
	# UNDO_CHECK: the job undoes the repair after the host froze the
	# repaired disk (work.qcow2 stays as the repair left it, the undo writes
	# into undone.qcow2 above it), so the positive boot starts from the
	# repair itself without a second one after the undo.
	# Booted through OVMF, the firmware's variables are frozen the same
	# way (the boot entries the repair wrote, for NVRAM_KEEP).
	local snap=""
	if [ "$mode" = auto ] && [ "$UNDO_CHECK" = 1 ]; then
		snap=target:$VM_DIR/undone.qcow2
		[ "$RESCUE_FIRMWARE" = uefi ] && snap="$snap vars:$VM_DIR/vars-undone.qcow2"
	fi
	JOB_SNAPSHOT=$snap run_job repair "$REPAIR_TIMEOUT" "$job" "${fw[@]}" $(vdisk "$work" qcow2 target) $(vdisk "$out.img" raw out)
	local rc=$?
	rm -f "$VM_DIR/undone.qcow2" "$VM_DIR/vars-undone.qcow2"
	T_REPAIR=$((SECONDS - t3))
	tar -xf "$out.img" -C "$out" 2>/dev/null
	mkdir -p "$VM_KEEP/last/$name-$mode" && cp -r "$out/." "$VM_KEEP/last/$name-$mode/"
	if [ "$rc" -ne "$expect" ]; then
		vm_keep_log "the rescue step ($mode) exited $rc, expected $expect"
		return 1
	fi
	log "rescue step ($mode) done in ${T_REPAIR}s (exit $rc as expected)"
	[ -s "$out/first-mib" ] && log "the disk's first MiB: $(paste -sd ';' "$out/first-mib")"
	check_changes "$dir" "$mode" "$out" || { vm_keep_log "the files changed differ from the expected ones"; return 1; }
	if [ "$mode" = auto ]; then
		check_auto "$out" || { vm_keep_log "rescue --auto: a check of its results failed"; return 1; }
	fi
	if [ "$CHECK_UNCHANGED" = 1 ]; then
		qemu-img compare -q "$broken" "$work" || { echo "FAIL: the rescue step changed the disk" >&2; return 1; }
		log "disk contents unchanged by the rescue step (qemu-img compare)"
	fi

	local t4=$SECONDS vars=""
	# NVRAM_KEEP=1: the target starts with the firmware's variables as the
	# rescue step left them (a boot entry it wrote), not an empty store.
	[ "$NVRAM_KEEP" = 1 ] && vars=$VM_DIR/repair.vars.fd
	BOOT_VARS=$vars boot_target positive "$work" "$POS_TIMEOUT" 'Kernel panic' 'You are in emergency mode' \
		'Entering emergency mode' 'dracut Warning: Could not boot' 'Give root password' 'UEFI Interactive Shell'
	T_POS=$((SECONDS - t4))
	rm -f "$work"
	if [ "$BOOT_RESULT" != marker ]; then
		vm_keep_log "positive check: $BOOT_RESULT ${BOOT_MATCH:-}"
		return 1
	fi
	log "positive check: reached the marker after ${BOOT_TIME}s"
	if [ "$CMDLINE_AUTO" = 1 ] && [ "$mode" = auto ]; then
		# The rescue medium's unattended mode, as a help desk would use it:
		# rescue.auto=1 on the kernel command line, no job, on a fresh
		# overlay of the broken image; then the target must boot again.
		local t5=$SECONDS
		overlay "$broken" "$work"
		vm_start cmdline-auto 1536 -kernel "$RESCUE_KERNEL" -initrd "$RESCUE_INITRD" \
			-append "console=ttyS0,115200 rescue.auto=1 rescue.report=/run/report.json" \
			$(vdisk "$work" qcow2 target)
		vm_wait "$REPAIR_TIMEOUT" 'RESCUE-AUTO-EXIT=[0-9]+' >/dev/null \
			|| { vm_keep_log "rescue.auto=1: no RESCUE-AUTO-EXIT line"; vm_stop; return 1; }
		rc=$(grep -a -o -E 'RESCUE-AUTO-EXIT=[0-9]+' "$VM_LOG" | head -n 1 | cut -d= -f2)
		vm_wait_exit 30 || true
		vm_stop
		[ "$rc" = "$AUTO_EXIT" ] || { vm_keep_log "rescue.auto=1: exit $rc, expected $AUTO_EXIT"; return 1; }
		log "rescue.auto=1 on the kernel command line: exit $rc"
		boot_target positive-cmdline "$work" "$POS_TIMEOUT" 'Kernel panic' 'You are in emergency mode' \
			'Entering emergency mode' 'dracut Warning: Could not boot' 'Give root password'
		rm -f "$work"
		[ "$BOOT_RESULT" = marker ] || { vm_keep_log "after rescue.auto=1: $BOOT_RESULT ${BOOT_MATCH:-}"; return 1; }
		log "after rescue.auto=1 the target reached the marker too ($((SECONDS - t5))s for both boots)"
	fi
	T_TOTAL=$((SECONDS - t0))
	printf 'TIMES %s base=%ss break=%ss negative=%ss(cached=%s) rescue-step(%s)=%ss %s positive=%ss total=%ss\n' \
		"$name" "$T_BASE" "$T_BREAK" "$T_NEG" "$NEG_CACHED" "$mode" "$T_REPAIR" "${AUTO_TIMES:-}" "$T_POS" "$T_TOTAL"
}

# Sourced (tests that reuse a scenario's broken image): the functions only.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
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
