# Delete the ESP stub EFI/debian/grub.cfg (partition 1, vfat).
#
# Why this variant of catalogue 7: a full configuration copied over the stub
# (cp /boot/grub/grub.cfg) still boots, because every menu entry of Debian's
# grub.cfg searches /boot's filesystem by UUID itself and names the kernel
# relative to it; it only goes stale at the next kernel update. Without the
# stub, the signed GRUB (prefix /EFI/debian, built-in config: source
# $prefix/grub.cfg, else $cmdpath/grub.cfg) finds no configuration at all and
# stops at the grub> prompt: the machine does not boot. EFI/BOOT holds no
# grub.cfg either (checked), so the removable-path copy fails the same way.
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
mount "$(part "$disk" 1)" /mnt
cat /mnt/EFI/debian/grub.cfg
rm -v /mnt/EFI/debian/grub.cfg
test ! -e /mnt/EFI/BOOT/grub.cfg
umount /mnt
