# Delete the default kernel's initramfs from /boot (partition 2).
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
mount "$(part "$disk" 2)" /mnt
rm -v "/mnt/initrd.img-$KVER"
umount /mnt
