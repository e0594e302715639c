#!/bin/bash
# rescue --auto on this host: the unattended path end to end on a copy of
# the demo disk (a real Debian 12 install) whose initramfs is gone; its
# --dry-run changes nothing; a wrong passphrase file opens and changes
# nothing; the JSON report is complete and written whole.
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd jq sfdisk cryptsetup
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY

cp --sparse=always "$img" $w/a.img
loop_part $w/a.img 1; mount_tmp $REPLY; K=$(cd $REPLY && ls vmlinuz-* | sed 's/^vmlinuz-//'); rm $REPLY/initrd.img-$K
test_release
sum=$(sha256sum < $w/a.img)
set +e; "$RESCUE" --auto --dry-run --image $w/a.img --report $w/dry.json > $w/dry.out; rc=$?; set -e
cat $w/dry.out
[ $rc -eq 20 ] || fail "--auto --dry-run: expected 20, got $rc"
[ "$sum" = "$(sha256sum < $w/a.img)" ] || fail "--auto --dry-run changed the disk"
assert_jq $w/dry.json .outcome "plan only (dry run)"
assert_jq $w/dry.json '.plan.actions[0].argv | join(" ")' "dracut --force --kver $K /boot/initrd.img-$K"

set +e; "$RESCUE" --auto --image $w/a.img --report $w/auto.json > $w/auto.out; rc=$?; set -e
cat $w/auto.out
[ $rc -eq 0 ] || fail "--auto: expected 0 (repaired), got $rc"
assert_jq $w/auto.json .outcome repaired
assert_jq $w/auto.json .system debian-12
assert_jq $w/auto.json '.before.findings | map(.code) | index("initramfs-missing") != null' true
assert_jq $w/auto.json .after.errors 0
assert_jq $w/auto.json '.plan.actions[0].status' done
[ ! -e $w/auto.json.tmp ] || fail "a temporary report was left behind"
! grep -q rescue-auto /proc/self/mountinfo || fail "mounts left behind"
echo "ok: --auto repaired the disk and reported it"

# LUKS with a wrong passphrase file: exit 10, nothing opened or written.
truncate -s 40M $w/luks.img
printf 'label: dos\nsize=30MiB, type=83\n' | sfdisk -q $w/luks.img
loop_part $w/luks.img 1
echo -n "the-right-one" | cryptsetup -q luksFormat --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 $REPLY -
test_release
lsum=$(sha256sum < $w/luks.img)
echo "not-the-right-one" > $w/pass
set +e; "$RESCUE" --auto --image $w/luks.img --passphrase-file $w/pass --report $w/luks.json > $w/luks.out 2>&1; rc=$?; set -e
cat $w/luks.out
[ $rc -eq 10 ] || fail "wrong passphrase: expected 10, got $rc"
assert_jq $w/luks.json .exit_code 10
[ "$lsum" = "$(sha256sum < $w/luks.img)" ] || fail "the LUKS image changed"
! grep -q "not-the-right-one" $w/luks.json $w/luks.out || fail "the passphrase leaked into the report or output"
echo "ok: wrong passphrase: nothing opened or changed, exit 10, no trace of it"

# A repair killed mid-generator with SIGKILL (no teardown, no rollback: as
# a power cut leaves it): its journal stays "running"; the next --auto
# says so, a dry run leaves it, the repair undoes it first and repairs.
cp --sparse=always "$img" $w/k.img
loop_part $w/k.img 1; mount_tmp $REPLY; boot=$REPLY; rm $boot/initrd.img-$K
loop_part $w/k.img 2; mount_tmp $REPLY; root=$REPLY
mv $root/usr/bin/dracut $root/usr/bin/dracut.real
printf '#!/bin/sh\nhead -c 12345 /dev/urandom > /boot/initrd.img-%s\nsleep 3219\n' $K > $root/usr/bin/dracut
chmod +x $root/usr/bin/dracut
test_release
"$RESCUE" --auto --image $w/k.img > $w/killed.out 2>&1 &
pid=$!
for _ in $(seq 600); do pgrep -f '^sleep 3219' > /dev/null && break; sleep 0.1; done
pgrep -f '^sleep 3219' > /dev/null || { cat $w/killed.out; fail "the stand-in generator was not seen running"; }
kill -KILL $pid
pkill -KILL -f '^sleep 3219'
wait $pid 2>/dev/null || true
# Its mounts go with the last process of its namespaces; the loop devices
# (autoclear) with them.
for _ in $(seq 100); do losetup -a | grep -q "$w/k.img" || break; sleep 0.1; done
losetup -a | grep -q "$w/k.img" && fail "loop devices of the killed run stayed"
loop_part $w/k.img 2; mount_tmp $REPLY; root=$REPLY
grep -q '^running' $root/var/lib/rescue/journal/*/state || fail "the killed run's journal is not marked running"
mv $root/usr/bin/dracut.real $root/usr/bin/dracut
test_release
set +e; "$RESCUE" --auto --dry-run --image $w/k.img > $w/k-dry.out 2>&1; rc=$?; set -e
cat $w/k-dry.out
[ $rc -eq 20 ] || fail "--dry-run after the kill: expected 20, got $rc"
grep -q 'an earlier repair was interrupted (journal .*); a dry run leaves it' $w/k-dry.out || fail "--dry-run does not name the unfinished journal"
set +e; "$RESCUE" --auto --image $w/k.img --report $w/k.json > $w/k.out 2>&1; rc=$?; set -e
cat $w/k.out
[ $rc -eq 0 ] || fail "--auto after the kill: expected 0 (repaired), got $rc"
grep -qi 'the interrupted repair was undone: 1 change(s) put back' $w/k.out || fail "the unfinished journal was not undone first"
assert_jq $w/k.json '.unfinished_journal.undone' 1
assert_jq $w/k.json .after.errors 0
loop_part $w/k.img 2; mount_tmp $REPLY; root=$REPLY
ls $root/var/lib/rescue/journal/
! grep -q '^running' $root/var/lib/rescue/journal/*/state || fail "a journal is still marked running"
test_release
echo "ok: a repair killed mid-generator: the next --auto found its journal, undid it, repaired"
