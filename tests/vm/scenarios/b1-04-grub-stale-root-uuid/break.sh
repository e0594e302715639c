# Point every kernel line of grub.cfg at a root filesystem UUID that no
# disk carries (as after a root filesystem was recreated).
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
mount "$(part "$disk" 1)" /mnt
sed -i 's|root=/dev/mapper/b1vg-root|root=UUID=0badc0de-0bad-4bad-8bad-0badc0de0bad|' /mnt/grub/grub.cfg
grep -q 'root=UUID=0badc0de' /mnt/grub/grub.cfg
! grep -q 'root=/dev/mapper' /mnt/grub/grub.cfg
umount /mnt
