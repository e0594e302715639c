# Scripted repair: mount root, /boot and the ESP, chroot, reinstall GRUB to
# the ESP the way Debian's packages do (shim and the signed GRUB, plus the
# removable-media copies, no NVRAM entry: the rescue environment here is
# not booted through UEFI), then check the loaders are there.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
sys_open --rw
in_sys grub-install --target=x86_64-efi --efi-directory=/boot/efi \
	--bootloader-id=debian --uefi-secure-boot --force-extra-removable --no-nvram
find "$ROOT/boot/efi" -type f | sort
test -s "$ROOT/boot/efi/EFI/debian/shimx64.efi"
test -s "$ROOT/boot/efi/EFI/BOOT/BOOTX64.EFI"
sys_close
