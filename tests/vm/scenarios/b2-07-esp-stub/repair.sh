# Scripted repair (the seeds' procedure): mount root, /boot and the ESP,
# chroot, reinstall GRUB to the ESP the way Debian's packages do, which
# rewrites EFI/debian/{shimx64,grubx64,mmx64,fbx64}.efi and BOOTX64.CSV
# (byte for byte the same here) and writes the stub EFI/debian/grub.cfg
# (search.fs_uuid of /boot, set prefix=($root)'/grub', configfile
# $prefix/grub.cfg), plus the removable copies EFI/BOOT/{BOOTX64.EFI,
# grubx64.efi,mmx64.efi}; then regenerate /boot/grub/grub.cfg (unchanged
# here) and check the stub.
# --no-nvram: the rescue environment here is not booted through UEFI, so
# there are no firmware variables to write (the firmware boots EFI/BOOT).
set -euxo pipefail
. ./guest.sh
. ./guest-b2.sh
. ./params
b2_open
chroot /mnt grub-install --target=x86_64-efi --efi-directory=/boot/efi \
	--bootloader-id=debian --uefi-secure-boot --force-extra-removable --no-nvram
find /mnt/boot/efi -type f | sort
cat /mnt/boot/efi/EFI/debian/grub.cfg
grep -q "$BOOTUUID" /mnt/boot/efi/EFI/debian/grub.cfg
chroot /mnt update-grub
b2_close
