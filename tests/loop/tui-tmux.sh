#!/bin/bash
# The repair wizard as a person uses it, black-box: the real binary in a
# tmux pane (80x24, TERM=vt102, basic mode as on a serial console), keys
# sent with send-keys, the screen read with capture-pane. On a copy of the
# demo disk (a real Debian 12 install) whose initramfs was removed:
# Welcome (the focused item marked in the text itself) -> Systems -> Unlock
# (not needed) -> Mount (read-only) -> Checks -> Diagnosis -> Plan -> Apply
# (confirmed with y) -> Result "repaired"; then quit, which releases
# everything. Afterwards the disk diagnoses clean, nothing is left mounted
# or attached, and the disk was not written before the plan was accepted.
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd tmux jq sfdisk
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY
export RESCUE_STATE_DIR=$w/state
. "$RESCUE_SRC/tests/lib/tmux.sh"

# The broken disk: catalogue 2, the initramfs is missing.
cp --sparse=always "$img" $w/a.img
loop_part $w/a.img 2; mount_tmp $REPLY; m=$REPLY
loop_part $w/a.img 1; mount $REPLY $m/boot; _test_mounts+=("$m/boot")
K=$(cd $m/boot && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
rm $m/boot/initrd.img-$K
test_release

tui_start 80x24 vt102 --image $w/a.img
wait_for "1/9 Welcome"
cp $w/screen.txt $w/01-welcome.txt
grep -q '+-\|^ rescue' $w/screen.txt || fail "no screen"
# capture-pane without -e drops reverse video, as a serial console's
# reader or a screen reader does: the focus must show in the text itself.
grep -q '> Start: look' $w/screen.txt && ! grep -q '> Keyboard layout' $w/screen.txt ||
	fail "the focused item (Start) is not marked in plain text"
keys Down
wait_for '> Keyboard layout'
grep -q '> Start: look' $w/screen.txt && fail "Start is still marked after the focus moved"
keys Up
wait_for '> Start: look'
echo "ok: the focused item is marked in plain text"
keys Enter
wait_for "debian-12" 120
cp $w/screen.txt $w/02-systems.txt
echo "ok: the Systems screen shows the install"
sum=$(sha256sum < $w/a.img)
keys Enter                      # pick it
wait_for "3/9 Unlock"
keys Enter                      # nothing to unlock: continue
wait_for "4/9 Mount"
keys Enter                      # mount read-only and check
wait_for "5/9 Checks" 300
cp $w/screen.txt $w/05-checks.txt
grep -q "$K" $w/screen.txt || fail "the Checks screen does not name kernel $K"
keys Tab
wait_for "6/9 Diagnosis"
grep -q "initramfs-missing" $w/screen.txt || fail "the diagnosis lacks initramfs-missing"
cp $w/screen.txt $w/06-diagnosis.txt
# Enter with a finding focused goes on, as Tab does (a newcomer tries
# Enter first; it used to do nothing there).
keys Enter
wait_for "7/9 Plan"
cp $w/screen.txt $w/07-plan.txt
[ "$sum" = "$(sha256sum < $w/a.img)" ] || fail "the disk changed before the plan was accepted"
echo "ok: checks, diagnosis and plan shown; the disk not written so far"
keys a
wait_for "Apply the plan"
cp $w/screen.txt $w/08-confirm.txt
keys n                          # declined: nothing written
wait_for "Not applied"
[ "$sum" = "$(sha256sum < $w/a.img)" ] || fail "the disk changed although the plan was declined"
echo "ok: a declined plan writes nothing"
keys a
wait_for "Apply the plan"
keys y
wait_for "9/9 Result" 900
wait_for "Outcome: " 60
cp $w/screen.txt $w/09-result.txt
cat $w/09-result.txt
grep -q "Outcome: repaired" $w/screen.txt || fail "the outcome is not 'repaired'"
grep -q "After:  0 error" $w/screen.txt || fail "errors remain after the repair"
echo "ok: applied, verified: repaired"
keys q
wait_for "Quit the wizard"
keys y
wait_for "TUI-EXIT=0" 120
echo "ok: quit releases everything and exits 0"

# Other tests may run beside this one: look only at this disk's devices.
left=$(losetup -j $w/a.img)
[ -z "$left" ] || { echo "$left"; fail "loop devices of the disk left attached"; }
! grep -q "$w/a.img" /proc/self/mountinfo || fail "something of the disk is still mounted"
set +e; "$RESCUE" diagnose --image $w/a.img --json > $w/after.json; rc=$?; set -e
[ "$(jq -r '.errors' $w/after.json)" = 0 ] || { cat $w/after.json; fail "diagnose after the wizard: errors remain (exit $rc)"; }
echo "ok: the repaired disk diagnoses clean"
