# Scripted repair: measure the space a new initramfs needs before writing,
# free it by removing only the files of kernels that are neither the one
# being repaired nor installed (no modules directory), listing each file
# first; then rebuild, verify and regenerate the GRUB config.
set -euxo pipefail
. ./guest.sh
. ./params
b1_open
need_kb=$((64 * 1024))
avail_kb=$(df --output=avail -k /mnt/boot | tail -n 1)
echo "/boot: ${avail_kb} KiB free, a new initramfs needs up to ${need_kb} KiB"
if [ "$avail_kb" -lt "$need_kb" ]; then
	for v in /mnt/boot/vmlinuz-*; do
		ver=${v#/mnt/boot/vmlinuz-}
		[ "$ver" = "$KVER" ] && continue
		[ -d "/mnt/lib/modules/$ver" ] && continue
		for f in vmlinuz initrd.img config System.map; do
			[ -e "/mnt/boot/$f-$ver" ] && echo "will remove /boot/$f-$ver ($(du -k "/mnt/boot/$f-$ver" | cut -f1) KiB): kernel $ver has no modules"
		done
		rm -f "/mnt/boot/vmlinuz-$ver" "/mnt/boot/initrd.img-$ver" "/mnt/boot/config-$ver" "/mnt/boot/System.map-$ver"
	done
	avail_kb=$(df --output=avail -k /mnt/boot | tail -n 1)
	[ "$avail_kb" -ge "$need_kb" ] || { echo "still only ${avail_kb} KiB free on /boot" >&2; exit 1; }
fi
[ -e "/mnt/boot/vmlinuz-$KVER" ]
chroot /mnt dracut --force "/boot/initrd.img-$KVER" "$KVER"
check_initramfs "/boot/initrd.img-$KVER" systemd-cryptsetup lvm dm-crypt
chroot /mnt update-grub
b1_close
