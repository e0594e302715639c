# Scripted repair: mount root, /boot and the ESP, chroot, reinstall GRUB to
# the ESP with the removable-media copies (the firmware has no boot entry
# for the system; none is written), then check the removable path.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
sys_open --rw
in_sys grub-install --target=x86_64-efi --efi-directory=/boot/efi \
	--bootloader-id=debian --uefi-secure-boot --force-extra-removable --no-nvram
find "$ROOT/boot/efi" -type f | sort
test -s "$ROOT/boot/efi/EFI/BOOT/BOOTX64.EFI"
sys_close
