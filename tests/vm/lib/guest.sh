# Helpers for jobs that run inside the rescue environment (bash), sourced
# by base builders, break scripts and scripted repairs. The job directory
# holds params (PASS, BASE, KVER, ...) written by the host.

# disk_by_serial SERIAL: /dev/vdX of the virtio disk with that serial.
disk_by_serial() {
	local s
	for s in /sys/block/*/serial; do
		[ -f "$s" ] && [ "$(cat "$s")" = "$1" ] && { echo "/dev/$(basename "$(dirname "$s")")"; return 0; }
	done
	echo "no disk with serial $1" >&2
	return 1
}

# part DISK N: the Nth partition device of DISK.
part() { echo "$1$2"; }

step() { echo "== $*"; }

# chroot_mounts ROOT / chroot_umounts ROOT: API filesystems for a chroot.
chroot_mounts() {
	local d
	for d in dev dev/pts proc sys run; do
		mkdir -p "$1/$d"
		mount --bind "/$d" "$1/$d"
	done
}
chroot_umounts() {
	local d
	for d in run sys proc dev/pts dev; do
		umount "$1/$d" 2>/dev/null || umount -l "$1/$d"
	done
}

# unlock DEVICE NAME: open a LUKS device with the passphrase in $PASS.
unlock() { printf '%s' "$PASS" | cryptsetup open --key-file - "$1" "$2"; }

# b1_open / b1_close: unlock, activate and mount a B1 system on /mnt
# (root, /boot) with the API filesystems for chroot.
b1_open() {
	TDISK=$(disk_by_serial target)
	local luks=$(part "$TDISK" 2)
	LUKS_NAME=luks-$(cryptsetup luksUUID "$luks")
	unlock "$luks" "$LUKS_NAME"
	vgchange -ay b1vg
	udevadm settle
	mount /dev/b1vg/root /mnt
	mount "$(part "$TDISK" 1)" /mnt/boot
	chroot_mounts /mnt
}
b1_close() {
	sync
	chroot_umounts /mnt
	umount /mnt/boot
	umount /mnt
	vgchange -an b1vg
	cryptsetup close "$LUKS_NAME"
	sync
}

# check_initramfs IMAGE WORD...: the image exists, is not tiny, and its
# listing (lsinitrd in the chroot) mentions every WORD.
check_initramfs() {
	local img=$1; shift
	local size
	size=$(stat -c %s "/mnt$img") || { echo "check_initramfs: $img missing" >&2; return 1; }
	[ "$size" -gt 1000000 ] || { echo "check_initramfs: $img is only $size bytes" >&2; return 1; }
	chroot /mnt lsinitrd "$img" > /tmp/lsinitrd.out 2>&1 || true
	local w
	for w in "$@"; do
		grep -q -- "$w" /tmp/lsinitrd.out || { echo "check_initramfs: $img lacks $w" >&2; return 1; }
	done
	echo "check_initramfs: $img ($size bytes) has: $*"
}
