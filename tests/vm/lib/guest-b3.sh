# Helpers for jobs on a B3 system (sourced after guest.sh by the B3 builder
# and break scripts). B3's MBR disk: partition 1 /boot (ext4), 2 a btrfs
# filesystem whose top level is not the root: the root is its subvolume
# "root" (Fedora's layout), which fstab mounts with subvol=root.

# b3_open / b3_close: mount a B3 system on /mnt (the root subvolume, /boot)
# with the API filesystems for chroot.
b3_open() {
	TDISK=$(disk_by_serial target)
	mount -o subvol=root "$(part "$TDISK" 2)" /mnt
	mount "$(part "$TDISK" 1)" /mnt/boot
	chroot_mounts /mnt
}
b3_close() {
	sync
	chroot_umounts /mnt
	umount /mnt/boot
	umount /mnt
	sync
}
