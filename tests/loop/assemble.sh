#!/bin/bash
# rescue mount / chroot / umount / unlock on real images, on this host
# (no device-mapper here: a LUKS volume can be checked but not mapped; the
# VM tier maps it). Checks: the demo Debian install mounts read-only with
# its separate /boot as its fstab says, commands run inside it with API
# filesystems that vanish afterwards, umount leaves nothing, a read-only
# mount changes no byte, errored filesystems are refused read-write,
# ambiguity and interruption are handled, passphrases leave no trace.
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd jq sfdisk debugfs cryptsetup
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY
export RESCUE_STATE_DIR=$w/state
T=$w/sysroot
# Whatever happens, release the target before the temporary files go.
trap '"$RESCUE" umount >/dev/null 2>&1 || true; test_cleanup' EXIT
ours() { losetup -a | grep -c -e "$img" -e "$w/" || true; }
loops0=$(ours)
left() { # nothing of ours mounted, attached or recorded
	! grep -q " $T" /proc/self/mountinfo || fail "mounts left under $T"
	sleep 0.2
	[ "$(ours)" -eq "$loops0" ] || fail "loop devices left: $(losetup -a | grep -e "$img" -e "$w/")"
	[ ! -s $RESCUE_STATE_DIR/actions ] || fail "undo journal not empty: $(cat $RESCUE_STATE_DIR/actions)"
}

sum=$(sha256sum < "$img")
"$RESCUE" mount --image "$img" --target $T
findmnt -n -o TARGET,OPTIONS $T | grep -q '^.* ro,' || fail "root not mounted read-only"
findmnt -n $T/boot >/dev/null || fail "/boot (separate, per fstab) not mounted"
[ "$(wc -l < $RESCUE_STATE_DIR/actions)" -eq 2 ] || fail "expected 2 journal entries"
echo "ok: mounted read-only with /boot"

out=$("$RESCUE" chroot --target $T -- sh -c '. /etc/os-release; echo $ID $VERSION_ID; test -e /proc/self/exe && test -d /sys/class && test -c /dev/null && echo api-ok; ls /boot/vmlinuz-*')
echo "$out"
echo "$out" | grep -q '^debian 12$' || fail "chroot did not run inside the target"
echo "$out" | grep -q '^api-ok$' || fail "API filesystems missing in the chroot"
echo "$out" | grep -q '^/boot/vmlinuz-' || fail "/boot not visible in the chroot"
! grep -q " $T/proc " /proc/self/mountinfo || fail "chroot API mounts leaked out"
set +e; "$RESCUE" chroot --target $T -- sh -c 'exit 7'; rc=$?; set -e
[ $rc -eq 7 ] || fail "chroot exit status not passed on ($rc)"
echo "ok: chroot runs commands inside, API mounts private, exit status passed on"
# The root is read-only: scratch space comes as tmpfs. Processes left
# running inside are stopped when the command ends (they would keep the
# filesystems busy), and umount then succeeds.
"$RESCUE" chroot --target $T -- sh -c 'mktemp -d -p /var/tmp >/dev/null && mktemp -p /tmp >/dev/null' \
	|| fail "no writable /tmp and /var/tmp in a read-only system's chroot"
"$RESCUE" chroot --target $T -- sh -c 'sleep 600 & sleep 600 & exit 0' 2>$w/err || fail "chroot with background jobs"
cat $w/err
grep -q "Stopped 2 process" $w/err || fail "the processes left inside were not reported stopped"
sleep 0.2
! pgrep -f "^sleep 600" >/dev/null || fail "processes left running inside the system"
echo "ok: scratch tmpfs on a read-only system; processes left inside are stopped"

# An unencrypted system: unlock has nothing to do, which is no failure;
# a volume asked for by a name that is not there is bad input.
out=$("$RESCUE" unlock --image "$img" 2>&1) || fail "unlock without any LUKS volume failed: $out"
echo "$out" | grep -q "nothing to unlock" || fail "unlock did not say there is nothing to unlock: $out"
set +e; "$RESCUE" unlock no-such-volume --image "$img" 2>$w/err; rc=$?; set -e
[ $rc -eq 5 ] || fail "unlock of a name that is not there: expected 5, got $rc"
grep -q "rescue scan" $w/err || fail "no hint to 'rescue scan' for an unknown name"
echo "ok: unlock with nothing encrypted: exit 0; an unknown name: exit 5"

set +e; "$RESCUE" mount --image "$img" --target $T 2>$w/err; rc=$?; set -e
[ $rc -eq 14 ] || fail "mounting onto a mounted target: expected 14, got $rc"
"$RESCUE" umount
left
[ "$sum" = "$(sha256sum < "$img")" ] || fail "a read-only mount changed the image"
echo "ok: umount leaves nothing; the image is unchanged"

# Two systems and no choice: refuse, list them; then choose one.
cp --sparse=always "$img" $w/copy.img
set +e; "$RESCUE" mount --image "$img" --image $w/copy.img --target $T 2>$w/err; rc=$?; set -e
cat $w/err
[ $rc -eq 13 ] || fail "ambiguous: expected 13, got $rc"
grep -q "choose one with --system" $w/err && grep -q "debian-12-2" $w/err || fail "candidates not listed"
left
"$RESCUE" mount --image "$img" --image $w/copy.img --target $T --system debian-12-2
findmnt -n -o SOURCE $T | grep -q loop || fail "not mounted"
"$RESCUE" umount; left
echo "ok: ambiguity refused with the candidates listed; --system chooses"

# A filesystem that records errors is not mounted read-write.
loop_part $w/copy.img 2; debugfs -w -R "ssv state 2" $REPLY >/dev/null 2>&1; test_release
set +e; "$RESCUE" mount --image $w/copy.img --target $T --rw 2>$w/err; rc=$?; set -e
cat $w/err
[ $rc -eq 12 ] || fail "errored filesystem read-write: expected 12, got $rc"
grep -q "e2fsck -f" $w/err || fail "no fsck command given"
left
"$RESCUE" mount --image $w/copy.img --target $T && "$RESCUE" umount && left
echo "ok: errored filesystem refused read-write (fsck named), still mountable read-only"

# Interrupted: SIGTERM while it works undoes what it did.
# The root is mounted, then each further step waits 3 s; the signal
# comes once the root is there.
RESCUE_DEBUG_STEP_DELAY_MS=3000 "$RESCUE" mount --image "$img" --target $T & pid=$!
for i in $(seq 100); do findmnt -n $T >/dev/null && break; sleep 0.1; done
findmnt -n $T >/dev/null || fail "the root was never mounted"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
[ $rc -eq 15 ] || fail "interrupted mount: expected 15, got $rc"
left
echo "ok: SIGTERM during mount (root already mounted) undoes it: exit 15, nothing left"

# LVM: the root on an LV. Where device-mapper works the VG is activated
# (and deactivated by umount); here its linear LV is read through its
# extents, which is said.
truncate -s 128M $w/lvm.img
printf 'label: dos\ntype=8e\n' | sfdisk -q $w/lvm.img
loop_part $w/lvm.img 1; pv=$REPLY
pvcreate -q $pv; vgcreate -q vgmnt $pv
lvcreate -q --driverloaded n -an -Zn -L 64M -n root vgmnt 2>/dev/null
pe_start=$(pvs --noheadings --units b --nosuffix -o pe_start $pv | tr -d ' ')
pstart=$(sfdisk -J $w/lvm.img | jq '.partitiontable.partitions[0].start')
loop_file -o $((pstart * 512 + pe_start)) --sizelimit $((64 << 20)) $w/lvm.img; lv=$REPLY
mkfs.ext4 -q $lv
mount_tmp $lv; mini_root $REPLY debian 12 6.1.0-13-amd64
echo "/dev/mapper/vgmnt-root / ext4 defaults 0 1" > $REPLY/etc/fstab
test_release
"$RESCUE" mount --image $w/lvm.img --target $T 2>$w/err
cat $w/err
test -e $T/usr/lib/modules/6.1.0-13-amd64/kernel || fail "LV root not mounted"
if grep -qw device-mapper /proc/misc; then
	grep -q "^vg vgmnt" $RESCUE_STATE_DIR/actions || fail "VG activation not recorded"
else
	grep -q "vgmnt could not be activated" $w/err || fail "failed activation not reported"
fi
"$RESCUE" umount; left
echo "ok: a root on LVM mounts (through device-mapper, or its extents where there is none)"

# Unlock: three wrong passphrases open nothing; the right one is accepted
# (and mapped where the kernel has device-mapper).
truncate -s 40M $w/luks.img
printf 'label: dos\nsize=30MiB, type=83\n' | sfdisk -q $w/luks.img
loop_part $w/luks.img 1
PASS="correct-horse-$RANDOM$RANDOM"
echo -n "$PASS" | cryptsetup -q luksFormat --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 $REPLY -
test_release
lsum=$(sha256sum < $w/luks.img)
set +e
printf 'wrong1\nwrong2\nwrong3\n' | "$RESCUE" unlock --image $w/luks.img --passphrase-fd 0 2>$w/unlock.err; rc=$?
set -e
cat $w/unlock.err
[ $rc -eq 10 ] || fail "three wrong passphrases: expected 10, got $rc"
[ "$(grep -c 'wrong passphrase' $w/unlock.err)" -eq 3 ] || fail "each wrong try not reported"
left
[ "$lsum" = "$(sha256sum < $w/luks.img)" ] || fail "a failed unlock changed the image"
set +e
printf '%s\n' "$PASS" | "$RESCUE" unlock --image $w/luks.img --passphrase-fd 0 -v 2>>$w/unlock.err; rc=$?
set -e
if grep -qw device-mapper /proc/misc; then
	[ $rc -eq 0 ] || fail "right passphrase: expected 0, got $rc"
	"$RESCUE" umount
else
	[ $rc -eq 11 ] || fail "right passphrase without device-mapper: expected 11, got $rc"
	grep -q "the passphrase is right, but this kernel cannot map" $w/unlock.err || fail "no-dm message missing"
fi
left
! grep -rq -- "$PASS" $w/unlock.err $RESCUE_STATE_DIR 2>/dev/null || fail "the passphrase appears in logs or state"
echo "ok: unlock: wrong x3 -> 10, right -> $rc; the passphrase appears in no log or state file"
