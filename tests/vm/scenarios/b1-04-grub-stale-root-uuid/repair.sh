# Scripted repair: regenerate the GRUB config from the system's own
# settings in a chroot, and check that it names the real root device.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
sys_open --rw
in_sys update-grub
grep -q 'root=/dev/mapper/b1vg-root' $ROOT/boot/grub/grub.cfg
! grep -q 0badc0de $ROOT/boot/grub/grub.cfg
sys_close
