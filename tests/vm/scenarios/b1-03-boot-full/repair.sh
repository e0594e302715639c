# Scripted repair: measure the space a new initramfs needs before writing,
# free it by removing only the files of kernels that are neither the one
# being repaired nor installed (no modules directory), listing each file
# first; then rebuild, verify and regenerate the GRUB config.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
sys_open --rw
need_kb=$((64 * 1024))
avail_kb=$(df --output=avail -k $ROOT/boot | tail -n 1)
echo "/boot: ${avail_kb} KiB free, a new initramfs needs up to ${need_kb} KiB"
if [ "$avail_kb" -lt "$need_kb" ]; then
	for v in $ROOT/boot/vmlinuz-*; do
		ver=${v#$ROOT/boot/vmlinuz-}
		[ "$ver" = "$KVER" ] && continue
		[ -d "$ROOT/lib/modules/$ver" ] && continue
		for f in vmlinuz initrd.img config System.map; do
			[ -e "$ROOT/boot/$f-$ver" ] && echo "will remove /boot/$f-$ver ($(du -k "$ROOT/boot/$f-$ver" | cut -f1) KiB): kernel $ver has no modules"
		done
		rm -f "$ROOT/boot/vmlinuz-$ver" "$ROOT/boot/initrd.img-$ver" "$ROOT/boot/config-$ver" "$ROOT/boot/System.map-$ver"
	done
	avail_kb=$(df --output=avail -k $ROOT/boot | tail -n 1)
	[ "$avail_kb" -ge "$need_kb" ] || { echo "still only ${avail_kb} KiB free on /boot" >&2; exit 1; }
fi
[ -e "$ROOT/boot/vmlinuz-$KVER" ]
in_sys dracut --force "/boot/initrd.img-$KVER" "$KVER"
check_image "/boot/initrd.img-$KVER" systemd-cryptsetup lvm dm-crypt
in_sys update-grub
sys_close
