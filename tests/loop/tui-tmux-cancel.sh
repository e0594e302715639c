#!/bin/bash
# Cancel during apply, in the real wizard (tmux, 80x24, TERM=linux: rich
# mode): on a copy of the demo disk with its initramfs truncated, the plan
# is accepted, the Apply step must show the library's progress (phase, step
# i/n when counted, seconds) while dracut runs; 'c' cancels. The wizard
# must say it was cancelled, /boot must be byte for byte as before with
# nothing of the chroot left mounted (seen in the wizard's own mount
# namespace while it runs), and after quitting nothing of the disk may stay
# mounted or attached. (Applying again after a cancel:
# tests/vm/iso-wizard-cancel.sh.)
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd tmux sfdisk
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY
export RESCUE_STATE_DIR=$w/state
. "$RESCUE_SRC/tests/lib/tmux.sh"

open_img() {
	loop_part $w/a.img 2; mount_tmp $REPLY; m=$REPLY
	loop_part $w/a.img 1; mount $REPLY $m/boot; _test_mounts+=("$m/boot")
}
boot_sums() { (cd $m/boot && find . -type f ! -path './lost+found/*' | sort | xargs sha256sum); }
cp --sparse=always "$img" $w/a.img
open_img
K=$(cd $m/boot && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
truncate -s 1M $m/boot/initrd.img-$K
boot_sums > $w/before.sums
test_release

tui_start 80x24 linux --image $w/a.img
wait_for "1/9 Welcome"
keys Enter
wait_for "debian-12" 120
keys Enter
wait_for "3/9 Unlock"
keys Enter
wait_for "4/9 Mount"
keys Enter
wait_for "5/9 Checks" 300
keys Tab Tab
wait_for "7/9 Plan"
keys a
wait_for "Apply the plan"
keys y
wait_for "8/9 Apply"
# The generator runs: the library's progress is on the screen (the phase,
# step i/n when the library counts steps, seconds, what runs).
wait_for " apply(: step [0-9]+/[0-9]+)?, [0-9]+ s" 300
cp $w/screen.txt $w/apply.txt
cat $w/apply.txt
sleep 3
keys c
wait_for "Cancel" 10
wait_for "9/9 Result" 300
cp $w/screen.txt $w/result.txt
cat $w/result.txt
grep -q "Outcome: cancelled" $w/result.txt || fail "the outcome is not 'cancelled'"
echo "ok: cancelled during apply"
# Still in the wizard: /boot as the wizard has it mounted is byte for byte
# as before (no new image, no temporary file), and nothing of the chroot
# (API file systems) stays mounted under the system. The wizard mounts in
# a mount namespace of its own: seen through its /proc/PID/root and
# /proc/PID/mountinfo.
pid=$(pgrep -P "$(T list-panes -t tui -F '#{pane_pid}')" -x rescue || true)
[ -n "$pid" ] || fail "no wizard process after the cancel"
t=$(awk '$5 ~ /\/rescue-tui\.[^\/]*\/boot$/ {print $5}' /proc/$pid/mountinfo | head -n 1)
[ -n "$t" ] || fail "the wizard no longer has the system's /boot mounted after the cancel"
m=/proc/$pid/root${t%/boot}
boot_sums > $w/cancelled.sums
diff $w/before.sums $w/cancelled.sums || fail "/boot differs after the cancel: not rolled back"
extra=$(awk '{print $5}' /proc/$pid/mountinfo | grep -E "^${t%/boot}/" | grep -v -x "$t" || true)
[ -z "$extra" ] || { echo "$extra"; fail "mounts left under the system after the cancel"; }
echo "ok: rolled back: /boot byte for byte as before; only the system's own mounts left"
keys q
wait_for "Quit the wizard"
keys y
wait_for "TUI-EXIT=0" 120
left=$(losetup -j $w/a.img)
[ -z "$left" ] || { echo "$left"; fail "loop devices of the disk left attached"; }
open_img
boot_sums > $w/after.sums
diff $w/before.sums $w/after.sums || fail "/boot differs after quitting"
echo "ok: nothing left attached; /boot still as before"
