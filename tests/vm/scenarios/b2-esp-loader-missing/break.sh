# Delete every EFI program on the ESP (partition 1, vfat): shim, the signed
# GRUB, MokManager and fallback in EFI/debian, and their removable-media
# copies in EFI/BOOT. The stub grub.cfg and BOOTX64.CSV stay: what is gone
# is only what the firmware loads. The machine keeps the boot entry
# Debian's installer writes (\EFI\debian\shimx64.efi, first in
# BootOrder), run through OVMF (BREAK_FIRMWARE=uefi): once the files are
# back, that entry starts the system again.
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
mount "$(part "$disk" 1)" /mnt
find /mnt/EFI -type f | sort
find /mnt/EFI -type f -iname '*.efi' -print -delete
test -z "$(find /mnt/EFI -type f -iname '*.efi')"
test -s /mnt/EFI/debian/grub.cfg
umount /mnt
mountpoint -q /sys/firmware/efi/efivars || mount -t efivarfs efivarfs /sys/firmware/efi/efivars
efibootmgr --create --disk "$disk" --part 1 --label debian --loader '\EFI\debian\shimx64.efi'
efibootmgr -v
