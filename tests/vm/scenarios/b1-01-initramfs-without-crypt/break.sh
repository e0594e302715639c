# Replace the initramfs with one built without the crypt, LVM and
# device-mapper dracut modules, as if it had been built before the root
# moved to LVM on LUKS.
set -euxo pipefail
. ./guest.sh
. ./params
b1_open
chroot /mnt dracut --force --omit "crypt lvm dm systemd-cryptsetup" "/boot/initrd.img-$KVER" "$KVER"
chroot /mnt lsinitrd "/boot/initrd.img-$KVER" > /tmp/list
! grep -E 'cryptsetup|/lvm$|dm-crypt' /tmp/list
b1_close
