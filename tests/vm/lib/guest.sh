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

# The configuration every base image shares (base builders call these; the
# bases differ only in what they pass).
# target_grub_defaults ROOT ROOTWAIT [EXTRA]: /etc/default/grub: the serial
# console, a one-second menu, ROOTWAIT (how long the initramfs waits for
# the root device: a negative control must fail in well under a minute),
# no KVM modules (qemu64 advertises AMD-V, and kvm_amd stalls a TCG guest),
# then EXTRA.
target_grub_defaults() {
	cat > "$1/etc/default/grub" <<GRUB
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0,115200 $2 modprobe.blacklist=kvm,kvm_amd,kvm_intel${3:+ $3}"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB_DISABLE_RECOVERY=true
GRUB
}

# target_dracut_conf ROOT: host-only images, compressed with gzip -1
# rather than dracut's default gzip -9: the same format, and in a TCG guest
# it compresses B1's 58 MB image in 4 s instead of 54 s, in every rebuild a
# scenario makes (measured in the rescue environment).
target_dracut_conf() {
	echo 'hostonly="yes"' > "$1/etc/dracut.conf.d/90-hostonly.conf"
	echo 'compress="gzip -n -1"' > "$1/etc/dracut.conf.d/91-compress.conf"
}

# target_marker_unit ROOT: a unit that prints $MARKER on the serial console
# once multi-user.target is reached (B3 has its own, which also requires
# its label check).
target_marker_unit() {
	cat > "$1/etc/systemd/system/boot-marker.service" <<UNIT
[Unit]
Description=Print the boot marker on the serial console
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "$MARKER" > /dev/ttyS0'

[Install]
WantedBy=multi-user.target
UNIT
	mkdir -p "$1/etc/systemd/system/multi-user.target.wants"
	ln -s /etc/systemd/system/boot-marker.service "$1/etc/systemd/system/multi-user.target.wants/boot-marker.service"
}
