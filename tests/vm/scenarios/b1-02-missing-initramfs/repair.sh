# Scripted repair (the seeds' procedure): unlock, activate LVM, mount root
# and /boot, chroot, rebuild the initramfs for the target's kernel (not the
# rescue kernel's), check what was written, regenerate the GRUB config.
set -euxo pipefail
. ./guest.sh
. ./params
b1_open
chroot /mnt dracut --force "/boot/initrd.img-$KVER" "$KVER"
check_initramfs "/boot/initrd.img-$KVER" systemd-cryptsetup lvm dm-crypt
chroot /mnt update-grub
b1_close
