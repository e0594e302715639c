# Helpers for jobs on a B2 system (sourced after guest.sh by the B2 builder,
# break scripts and scripted repairs). B2's GPT disk: partition 1 the ESP
# (vfat), 2 /boot (ext4), 3 the root (ext4); nothing is encrypted.

# b2_open / b2_close: mount a B2 system on /mnt (root, /boot, /boot/efi)
# with the API filesystems for chroot.
b2_open() {
	TDISK=$(disk_by_serial target)
	mount "$(part "$TDISK" 3)" /mnt
	mount "$(part "$TDISK" 2)" /mnt/boot
	mount "$(part "$TDISK" 1)" /mnt/boot/efi
	chroot_mounts /mnt
}
b2_close() {
	sync
	chroot_umounts /mnt
	umount /mnt/boot/efi
	umount /mnt/boot
	umount /mnt
	sync
}

# check_initramfs_tools IMAGE WORD...: like check_initramfs, with
# initramfs-tools' lsinitramfs (the target has no lsinitrd).
check_initramfs_tools() {
	local img=$1; shift
	local size
	size=$(stat -c %s "/mnt$img") || { echo "check_initramfs_tools: $img missing" >&2; return 1; }
	[ "$size" -gt 1000000 ] || { echo "check_initramfs_tools: $img is only $size bytes" >&2; return 1; }
	chroot /mnt lsinitramfs "$img" > /tmp/lsinitramfs.out 2>&1 || true
	local w
	for w in "$@"; do
		grep -q -- "$w" /tmp/lsinitramfs.out || { echo "check_initramfs_tools: $img lacks $w" >&2; return 1; }
	done
	echo "check_initramfs_tools: $img ($size bytes) has: $*"
}
