#!/bin/bash
# Run test tiers and print one verdict line per test and a closing summary
# ("N passed, N failed, N skipped"). Tiers:
#   unit  compiled cmocka tests ($RESCUE_BUILD/tests/test-*) and tests/unit/*.sh
#   loop  tests/loop/*.sh: real loop devices, mounts, chroots (root)
#   vm    tests/vm/*.sh: QEMU (TCG) scenarios
# or single tests by name: unit/test-session, loop/auto, vm/b3-mount.
# A test exits 0 (pass), 77 (skipped: it must print why) or anything else (fail).
# Environment for the scripts: RESCUE (the binary under test), RESCUE_BUILD,
# RESCUE_PLAIN (a non-sanitizer binary, for images), RESCUE_SRC, RESCUE_CACHE.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export RESCUE_SRC=$top
export RESCUE_BUILD=$(cd "$top" && realpath -m "${RESCUE_BUILD:-build}")
export RESCUE=$RESCUE_BUILD/rescue
export RESCUE_PLAIN=$(cd "$top" && realpath -m "${RESCUE_PLAIN_BUILD:-${RESCUE_BUILD}}")/rescue
export RESCUE_CACHE=${RESCUE_CACHE:-/var/cache/rescue-dev}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logdir=$RESCUE_BUILD/test-logs
mkdir -p "$logdir"

pass=0 fail=0 skip=0 failed=()
# run_test NAME COMMAND...: runs it, prints its verdict line, and leaves the
# exit code in NAME's .rc file for tally (tests may run in the background).
run_test() {
	local name=$1; shift
	local log=$logdir/${name//\//_}.log start=$SECONDS rc
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	echo "$rc" > "$log.rc"
	local t=$((SECONDS - start))
	case $rc in
	0) echo "PASS $name (${t}s)" ;;
	77) echo "SKIP $name: $(tail -n 1 "$log")" ;;
	*) { echo "FAIL $name (exit $rc, ${t}s): log $log"; tail -n 30 "$log" | sed 's/^/    | /'; } | cat ;;
	esac
}
tally() { # NAME: count the verdict run_test left
	local name=$1 rc
	rc=$(cat "$logdir/${name//\//_}.log.rc" 2>/dev/null || echo 1)
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); failed+=("$name") ;;
	esac
}
run_one() { run_test "$@"; tally "$1"; }
# vm_by_cost SCRIPT...: the scripts, highest "# vm-cost:" first (0 when a
# script names none; ties by name).
vm_by_cost() {
	local t c
	for t in "$@"; do
		c=$(sed -n 's/^# vm-cost: *\([0-9][0-9]*\).*/\1/p' "$t" | head -n 1)
		echo "${c:-0} $t"
	done | sort -k1,1nr -k2,2 | cut -d' ' -f2-
}

# vm_tier: the VM tests, longest first (each script's "# vm-cost: SECONDS",
# its cost from an empty cache), so the long ones (which also build the
# base images) start at once instead of ending the run alone. TCG guests
# spend much of their time waiting (firmware, boot loader and device
# timeouts, the serial console): two at a time (RESCUE_VM_JOBS) finish the
# tier in far less wall-clock time on two cores. While the host tiers run
# (the file $host_busy exists) and while prepare.sh builds images, each
# counts as one of them. Writes the names it ran to $logdir/vm-names.
# vm_tier prepare: prepare.sh first, in the background (a test that needs
# an image it is building waits for its lock).
host_busy=$logdir/.host-tiers-running
kill_tree() { # PID: it and every process below it, children first
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill "$1" 2>/dev/null
}
vm_tier() {
	local t n prep_pid=""
	: > "$logdir/vm-names"
	if [ "${1:-}" = prepare ]; then
		bash "$top/tests/vm/lib/prepare.sh" > "$logdir/vm-prepare.log" 2>&1 </dev/null &
		prep_pid=$!
	fi
	for t in $(vm_by_cost "$top"/tests/vm/*.sh); do
		[ -f "$t" ] || continue
		# prepare.sh is one of the jobs.
		while [ $(($(jobs -rp | wc -l) + $([ -e "$host_busy" ] && echo 1 || echo 0))) -ge "${RESCUE_VM_JOBS:-2}" ]; do
			sleep 2
		done
		n="vm/$(basename "$t" .sh)"
		echo "$n" >> "$logdir/vm-names"
		run_test "$n" bash "$t" &
	done
	wait
	[ -n "$prep_pid" ] && echo "(VM images: $(tail -n 1 "$logdir/vm-prepare.log"))"
}

# With the VM tier after others, it starts at once in the background: its
# images (rescue image, ISO, base images) are built first
# (tests/vm/lib/prepare.sh), then its tests run beside the host tiers, one
# guest while those run, two after. RESCUE_VM_PREPARE=0 turns this off.
vm_pid=""
rm -f "$host_busy"
case " $* " in
*" vm "*)
	if [ "${1:-}" != vm ] && [ "${RESCUE_VM_PREPARE:-1}" != 0 ]; then
		echo "== tier vm, beside the others (images being built: log $logdir/vm-prepare.log)"
		touch "$host_busy"
		# Interrupted: the VM tier in the background goes too (its tests
		# clean up their guests on SIGTERM).
		trap 'rm -f "$host_busy"; [ -n "$vm_pid" ] && kill_tree "$vm_pid"' EXIT
		trap 'exit 130' INT TERM
		vm_tier prepare &
		vm_pid=$!
	fi ;;
esac

for tier in "${@:-unit}"; do
	[ "$tier" = vm ] || echo "== tier $tier"
	case $tier in
	unit)
		for t in "$RESCUE_BUILD"/tests/test-*; do
			[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
		done
		for t in "$top"/tests/unit/*.sh; do
			[ -f "$t" ] && run_one "unit/$(basename "$t" .sh)" bash "$t"
		done ;;
	loop)
		for t in "$top"/tests/loop/*.sh; do
			[ -f "$t" ] && run_one "loop/$(basename "$t" .sh)" bash "$t"
		done ;;
	vm)
		if [ -n "$vm_pid" ]; then
			# Running since the start: now it may use both guests.
			rm -f "$host_busy"
			wait "$vm_pid"
			vm_pid=""
		else
			echo "== tier vm"
			vm_tier
		fi
		while read -r n; do tally "$n"; done < "$logdir/vm-names" ;;
	unit/* | loop/* | vm/*)
		# One test by name, e.g. vm/b1-01-initramfs-without-crypt.
		if [ -x "$RESCUE_BUILD/tests/${tier#unit/}" ] && [ "${tier%%/*}" = unit ]; then
			run_one "$tier" "$RESCUE_BUILD/tests/${tier#unit/}"
		elif [ -f "$top/tests/$tier.sh" ]; then
			run_one "$tier" bash "$top/tests/$tier.sh"
		else
			echo "run.sh: no test $tier" >&2; exit 2
		fi ;;
	*) echo "run.sh: unknown tier $tier" >&2; exit 2 ;;
	esac
done

echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
