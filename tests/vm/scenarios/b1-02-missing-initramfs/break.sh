# Delete the default kernel's initramfs from /boot (not encrypted).
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
mount "$(part "$disk" 1)" /mnt
rm -v "/mnt/initrd.img-$KVER"
umount /mnt
