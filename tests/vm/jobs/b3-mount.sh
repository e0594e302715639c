# Mount on B3, in the rescue environment: rescue mount finds the root in the
# btrfs subvolume "root" (the filesystem's top level is not the root; fstab
# says subvol=root) and mounts it and /boot (ext4) on /mnt/sysroot;
# rescue chroot runs a command in it; rescue umount leaves nothing.
# Disks by serial: target (an overlay of B3), out (results, a tar).
# Exit 0 when every check passed; each check prints "ok:" or "NOT OK:".
set -uo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
exec > >(tee "$OUT/b3-mount.log") 2>&1
disk=$(disk_by_serial target) || { notok "no target disk"; checks_done; }

step "rescue mount (nothing to unlock first)"
rescue unlock; rc=$?
check "rescue unlock on a system without LUKS exits 0 (got $rc)" [ "$rc" = 0 ]
rescue mount; rc=$?
check "rescue mount exits 0 (got $rc)" [ "$rc" = 0 ]
findmnt -R "$ROOT"
fsroot=$(findmnt -no FSROOT --mountpoint "$ROOT")
fstype=$(findmnt -no FSTYPE --mountpoint "$ROOT")
check "the root is the btrfs subvolume root (FSROOT '$fsroot', type '$fstype')" \
	test "$fsroot" = /root -a "$fstype" = btrfs
check "the root is read-only" bash -c "findmnt -no OPTIONS --mountpoint $ROOT | grep -q '^ro'"
check "the root comes from partition 2" bash -c "findmnt -no SOURCE --mountpoint $ROOT | grep -q '^$(part "$disk" 2)'"
bfstype=$(findmnt -no FSTYPE --mountpoint "$ROOT/boot")
check "/boot is mounted (type '$bfstype')" [ "$bfstype" = ext4 ]
check "/boot holds the kernel" [ -s "$ROOT/boot/vmlinuz-$KVER" ]

step "rescue chroot -- cat /etc/os-release"
rescue chroot -- cat /etc/os-release > /tmp/os-release 2>/tmp/chroot.err; rc=$?
cat /tmp/os-release; cat /tmp/chroot.err
check "rescue chroot exits 0 (got $rc)" [ "$rc" = 0 ]
check "the system is Debian 12" grep -q '^VERSION_CODENAME=bookworm' /tmp/os-release

step "rescue umount"
sync
rescue umount; rc=$?
check "rescue umount exits 0 (got $rc)" [ "$rc" = 0 ]
check "nothing left mounted, mapped or looped" assert_released
checks_done
