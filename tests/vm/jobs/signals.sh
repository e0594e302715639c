# Signals and power cuts on B1, in the rescue environment (one boot for
# every SIGTERM check, then the first power cut). Disks by serial: target
# (an overlay of B1), out (results, a tar). Parameters: PASS, KVER, LUUID
# (meta of the base), POWERCUT=1 to end with the first power cut.
#
# The break of scenario 2 first (the default kernel's initramfs deleted),
# so that rescue --auto has a generator to run. Then SIGTERM to
# 'rescue --auto' while it unlocks, while it activates, while the system
# is mounted (RESCUE_DEBUG_STEP_DELAY_MS slows the steps; its log says
# where it pauses), and while dracut runs; then to 'rescue fix --yes' while
# dracut runs. After each: exit 15, nothing mapped, mounted or looped, no
# dracut left running; at the end /boot and /etc exactly as before.
# With POWERCUT=1: 'rescue --auto' again, and once dracut has run for a
# while the job prints POWER-CUT-NOW and waits for the host to kill the
# whole VM. Each check prints "ok:" or "NOT OK:".
set -uo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
exec > >(tee "$OUT/signals.log") 2>&1

disk=$(disk_by_serial target) || { notok "no target disk"; checks_done; }
umask 077
printf '%s' "$PASS" > /tmp/key

step "break: the default kernel's initramfs deleted (scenario 2)"
mount "$(part "$disk" 1)" /mnt && rm -v "/mnt/initrd.img-$KVER" && umount /mnt || { notok "break"; checks_done; }

step "manifest before"
sys_open || { notok "rescue unlock/mount"; checks_done; }
manifest "$OUT/before"
sys_close || notok "rescue umount after the manifest"

# stopped NAME PID: SIGTERM to PID; its exit status in $rc, and how long
# it took to end after the signal in $took.
stopped() {
	local t0
	t0=$(date +%s.%N)
	kill -TERM "$2"
	wait "$2"
	rc=$?
	took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	echo "$1: exit $rc, $took s after SIGTERM"
}
# after NAME: the checks every interrupted run must pass.
after() {
	check "$1: exit 15 (cancelled) (got $rc)" [ "$rc" = 15 ]
	check "$1: no dm device, mount or loop device left" assert_released
	check "$1: no generator left running" bash -c '! pgrep -x dracut'
}

# interrupt_auto NAME REGEX [CHECK...]: rescue --auto with slowed steps,
# SIGTERM once its output matches REGEX (after running CHECK, which must
# hold at that moment).
interrupt_auto() {
	local name=$1 re=$2 pid
	shift 2
	step "SIGTERM to rescue --auto: $name"
	RESCUE_DEBUG_STEP_DELAY_MS=5000 rescue -v --auto --key-file /tmp/key --report "$OUT/$name.json" \
		> "$OUT/$name.txt" 2>&1 &
	pid=$!
	if wait_log "$OUT/$name.txt" "$re" 180; then
		[ $# -gt 0 ] && check "$name: $*" "$@"
		stopped "$name" "$pid"
	else
		notok "$name: its output never matched '$re'"
		kill -TERM "$pid"; wait "$pid"; rc=$?
	fi
	cat "$OUT/$name.txt"
	after "$name"
	check "$name: the report says cancelled" grep -q '"outcome": *"cancelled' "$OUT/$name.json"
}
luks_open() { [ -b "/dev/mapper/luks-$LUUID" ]; }
# The system is mounted in rescue --auto's own mount namespace ($pid: the
# rescue --auto interrupt_auto started).
auto_mounted() { grep -q -E ' /tmp/rescue-(auto|session)\.[^ /]* ' "/proc/$pid/mounts"; }

interrupt_auto unlock 'Step delay: unlock: a volume was opened' luks_open
interrupt_auto activate 'Step delay: activate:' luks_open
interrupt_auto mounted 'Step delay: mount:' auto_mounted

step "SIGTERM to rescue --auto while dracut runs"
rescue --auto --key-file /tmp/key --report "$OUT/dracut.json" > "$OUT/dracut.txt" 2>&1 &
pid=$!
if wait_dracut 20; then
	stopped dracut "$pid"
else
	notok "dracut: not seen running"
	wait "$pid"; rc=$?
fi
cat "$OUT/dracut.txt"
after dracut
echo "$took" > "$OUT/dracut.took"
check "dracut: rescue ended within 30 s of the signal, teardown included ($took s)" awk -v t="$took" 'BEGIN { exit !(t < 30) }'
check "dracut: the report says cancelled" grep -q '"outcome": *"cancelled' "$OUT/dracut.json"
check "dracut: the step is reported as interrupted and rolled back" grep -q 'interrupted while dracut ran; the previous state was restored' "$OUT/dracut.json"

step "SIGTERM to rescue fix --yes while dracut runs"
rescue unlock --key-file /tmp/key || notok "rescue unlock before fix"
rescue fix --yes > "$OUT/fix.txt" 2>&1 &
pid=$!
if wait_dracut 20; then
	stopped fix "$pid"
else
	notok "fix: dracut not seen running"
	wait "$pid"; rc=$?
fi
cat "$OUT/fix.txt"
check "fix: exit 15 (cancelled) (got $rc)" [ "$rc" = 15 ]
check "fix: no generator left running" bash -c '! pgrep -x dracut'
check "fix: nothing of fix's own left mounted" bash -c "! grep -q -E '^/dev/(mapper|dm-)' /proc/mounts"
rescue umount
check "fix: nothing left after rescue umount" assert_released

step "manifest after the interrupted runs"
sys_open || notok "rescue unlock/mount after the interrupted runs"
manifest "$OUT/after"
ls -l "$ROOT/var/lib/rescue/journal/" || true
states=$(cat "$ROOT"/var/lib/rescue/journal/*/state 2>/dev/null | sort | uniq -c)
echo "journal states: $states"
check "every journal of the interrupted repairs is complete (none left running)" \
	bash -c "! grep -l running $ROOT/var/lib/rescue/journal/*/state"
sys_close || notok "rescue umount after the manifest"
changes "$OUT/before" "$OUT/after" > "$OUT/changes"
cat "$OUT/changes"
check "/boot and /etc are byte for byte as before every interrupted run" [ ! -s "$OUT/changes" ]

if [ "${POWERCUT:-0}" = 1 ]; then
	step "power cut while dracut runs in rescue --auto"
	echo "$failed check(s) failed before the power cut"
	out_save
	rescue -v --auto --key-file /tmp/key > /tmp/powercut.txt 2>&1 &
	if wait_dracut 20; then
		tail -n 5 /tmp/powercut.txt
		echo "POWER-CUT-NOW"
	else
		cat /tmp/powercut.txt
		echo "POWER-CUT-FAILED: dracut not seen running"
	fi
	sleep 3600
fi
checks_done
