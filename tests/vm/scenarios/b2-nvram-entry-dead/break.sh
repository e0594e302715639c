# Delete the removable-media copies EFI/BOOT/{BOOTX64,grubx64,mmx64}.efi on
# the ESP (partition 1, vfat), and leave the firmware one boot entry for
# this system that names a file the ESP does not hold: \EFI\debian\shim.efi
# for shimx64.efi, as a boot entry typed by hand from another system's
# instructions comes out. EFI/debian keeps shim, GRUB and the stub: the
# loader is intact; nothing the firmware tries starts it.
# Run booted through OVMF (BREAK_FIRMWARE=uefi): efibootmgr writes the
# variable store the negative control and the rescue step start from.
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
mount "$(part "$disk" 1)" /mnt
find /mnt/EFI -type f | sort
find /mnt/EFI/BOOT -type f -iname '*.efi' -print -delete
test -s /mnt/EFI/debian/shimx64.efi
test -s /mnt/EFI/debian/grubx64.efi
test ! -e /mnt/EFI/debian/shim.efi
umount /mnt
mountpoint -q /sys/firmware/efi/efivars || mount -t efivarfs efivarfs /sys/firmware/efi/efivars
efibootmgr --create --disk "$disk" --part 1 --label debian --loader '\EFI\debian\shim.efi'
efibootmgr -v
