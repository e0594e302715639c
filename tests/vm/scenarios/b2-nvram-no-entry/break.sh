# Delete the removable-media copies EFI/BOOT/{BOOTX64,grubx64,mmx64}.efi on
# the ESP (partition 1, vfat). EFI/debian keeps shim, GRUB and the stub:
# the system's own loader is intact; only the path a firmware without a
# boot entry starts is gone.
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
mount "$(part "$disk" 1)" /mnt
find /mnt/EFI -type f | sort
find /mnt/EFI/BOOT -type f -iname '*.efi' -print -delete
test -s /mnt/EFI/debian/shimx64.efi
test -s /mnt/EFI/debian/grubx64.efi
umount /mnt
