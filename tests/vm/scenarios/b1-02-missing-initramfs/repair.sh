# Scripted repair (the seeds' procedure) through rescue's verbs: unlock,
# activate LVM and mount root and /boot (rescue unlock, rescue mount --rw),
# chroot (rescue chroot), rebuild the initramfs for the target's kernel (not the
# rescue kernel's), check what was written, regenerate the GRUB config.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
sys_open --rw
in_sys dracut --force "/boot/initrd.img-$KVER" "$KVER"
check_image "/boot/initrd.img-$KVER" systemd-cryptsetup lvm dm-crypt
in_sys update-grub
sys_close
