# Scripted repair: regenerate the GRUB config from the system's own
# settings in a chroot, and check that it names the real root device.
set -euxo pipefail
. ./guest.sh
. ./params
b1_open
chroot /mnt update-grub
grep -q 'root=/dev/mapper/b1vg-root' /mnt/boot/grub/grub.cfg
! grep -q 0badc0de /mnt/boot/grub/grub.cfg
b1_close
