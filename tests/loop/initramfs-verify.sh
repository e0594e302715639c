#!/bin/bash
# rescue initramfs verify against real dracut and mkinitramfs images and a
# target root whose fstab, crypttab and LVM metadata backup put / on
# ext4 on LVM on LUKS (tests/lib/initramfs-images.sh makes both):
# - dracut without crypt/LVM support: exit 7, naming dm_crypt, cryptsetup
#   and lvm;
# - dracut with crypt and lvm, and the generic image: exit 0;
# - a compression the target kernel was built without: exit 7;
# - a stored cmdline (etc/cmdline.d) contradicting the real root: exit 7;
# - initramfs-tools without the root in cryptroot/crypttab: exit 7, and 0
#   once a later segment supplies it;
# - --json is valid JSON with the same verdict.
set -u
[ "$(id -u)" -eq 0 ] || { echo "needs root to build the images (chroot)"; exit 77; }
dir=$(bash "$RESCUE_SRC/tests/lib/initramfs-images.sh") || { echo "could not build the initramfs images"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

verify() { # expected-exit, label, image, root, [extra args]
	local want=$1 label=$2 img=$3 root=$4
	shift 4
	"$RESCUE" initramfs verify "$img" --root "$root" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -ne "$want" ]; then
		bad "$label: exit $rc, expected $want"
		cat "$tmp/out" "$tmp/err" | tail -n 25
		return 1
	fi
	echo "ok: $label: exit $rc"
}
missing() { # label, names...: each must be listed as MISSING
	local label=$1 n
	shift
	for n in "$@"; do
		grep -Eq "^  MISSING +[a-z]+ +$n " "$tmp/out" || { bad "$label: $n not reported missing"; cat "$tmp/out"; }
	done
}

root=$dir/root-dracut
verify 7 "dracut without crypt/lvm" "$dir/dracut-gzip.img" "$root" && missing "dracut without crypt/lvm" dm_crypt cryptsetup lvm
verify 0 "dracut with crypt and lvm" "$dir/dracut-crypt-lvm.img" "$root"
verify 0 "dracut generic" "$dir/dracut-generic-gzip.img" "$root"
verify 0 "dracut with crypt and lvm, --kver given" "$dir/dracut-crypt-lvm.img" "$root" --kver "$(cat "$dir/kver")"
verify 7 "wrong --kver" "$dir/dracut-crypt-lvm.img" "$root" --kver 6.0.0-1-amd64

# JSON: the same verdict, machine-readable.
"$RESCUE" initramfs verify "$dir/dracut-gzip.img" --root "$root" --json >"$tmp/json"
python3 - "$tmp/json" <<'EOF' || bad "verify --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["bootable"] is False, d["bootable"]
missing = {r["name"] for r in d["requirements"] if not r["present"] and not r["optional"]}
assert {"dm_crypt", "cryptsetup", "lvm"} <= missing, missing
print("ok: --json names", ", ".join(sorted(missing)))
EOF

# A copy of the root to vary.
cp -a "$root" "$tmp/root"
kver=$(cat "$dir/kver")
sed -i 's/^CONFIG_RD_ZSTD=y/# CONFIG_RD_ZSTD is not set/' "$tmp/root/boot/config-$kver"
verify 7 "zstd image, kernel without CONFIG_RD_ZSTD" "$dir/dracut-zstd.img" "$tmp/root" && missing "no zstd" zstd

# A stored cmdline naming another root, appended as one more segment, as
# a boot loader concatenates it: padded to 4 bytes first (without the
# padding the kernel reports broken padding, and so does verify).
pad4() { head -c $(((4 - $(stat -c %s "$1") % 4) % 4)) /dev/zero; }
mkdir -p "$tmp/cmd/etc/cmdline.d"
echo "root=UUID=00000000-dead-beef-0000-000000000000 rd.lvm.lv=other/root" >"$tmp/cmd/etc/cmdline.d/90-root.conf"
(cd "$tmp/cmd" && find . | cpio -o -H newc --quiet) >"$tmp/cmd.cpio"
{ cat "$dir/dracut-crypt-lvm.img"; pad4 "$dir/dracut-crypt-lvm.img"; cat "$tmp/cmd.cpio"; } >"$tmp/cmdline.img"
verify 7 "stored cmdline contradicting the root" "$tmp/cmdline.img" "$root" && missing "cmdline" 'root=' 'rd.lvm.lv='
echo "root=/dev/mapper/vg0-root rd.lvm.lv=vg0/root" >"$tmp/cmd/etc/cmdline.d/90-root.conf"
(cd "$tmp/cmd" && find . | cpio -o -H newc --quiet) >"$tmp/cmd.cpio"
{ cat "$dir/dracut-crypt-lvm.img"; pad4 "$dir/dracut-crypt-lvm.img"; cat "$tmp/cmd.cpio"; } >"$tmp/cmdline.img"
verify 0 "stored cmdline agreeing with the root" "$tmp/cmdline.img" "$root"
# A host-only image made in a chroot stores the device mounted at /
# (root=/dev/mapper/VG-LV) where fstab may name the same LV another way
# (here /dev/VG/LV; by UUID it is matched through the device on the
# machine, which the VM tier's scenarios exercise).
sed -i 's|^/dev/mapper/vg0-root |/dev/vg0/root |' "$tmp/root/etc/fstab"
verify 0 "stored root=/dev/mapper/VG-LV, fstab's /dev/VG/LV" "$tmp/cmdline.img" "$tmp/root"
echo "root=/dev/mapper/vg0-other rd.lvm.lv=vg0/root" >"$tmp/cmd/etc/cmdline.d/90-root.conf"
(cd "$tmp/cmd" && find . | cpio -o -H newc --quiet) >"$tmp/cmd.cpio"
{ cat "$dir/dracut-crypt-lvm.img"; pad4 "$dir/dracut-crypt-lvm.img"; cat "$tmp/cmd.cpio"; } >"$tmp/cmdline.img"
verify 7 "stored root= naming another LV" "$tmp/cmdline.img" "$tmp/root" && missing "other LV" 'root='

cat "$dir/dracut-crypt-lvm.img" "$tmp/cmd.cpio" >"$tmp/unpadded.img"
if [ $(($(stat -c %s "$dir/dracut-crypt-lvm.img") % 4)) -ne 0 ]; then
	verify 7 "unpadded concatenation" "$tmp/unpadded.img" "$root" && missing "unpadded" image
	grep -q "broken padding" "$tmp/out" || bad "unpadded concatenation: no 'broken padding'"
fi

# initramfs-tools: the image from a chroot knows nothing of the root's
# LUKS device, so cryptsetup-initramfs would not unlock it.
verify 7 "mkinitramfs without the root in cryptroot/crypttab" "$dir/mkinitramfs.img" "$dir/root-initramfs-tools" &&
	missing "mkinitramfs" 'cryptroot/crypttab'
# ... and passes once a segment supplies it (later members win).
mkdir -p "$tmp/cr/cryptroot"
cp "$dir/root-initramfs-tools/etc/crypttab" "$tmp/cr/cryptroot/crypttab"
(cd "$tmp/cr" && find . | cpio -o -H newc --quiet) >"$tmp/cr.cpio"
{ cat "$dir/mkinitramfs.img"; pad4 "$dir/mkinitramfs.img"; cat "$tmp/cr.cpio"; } >"$tmp/mk-cr.img"
verify 0 "mkinitramfs with the root in cryptroot/crypttab" "$tmp/mk-cr.img" "$dir/root-initramfs-tools"

# Real devices: a root on this machine's own root disk brings in the
# drivers sysfs shows for it (looked up in the target's tree, since this
# kernel may have them built in).
hostdev=$(findmnt -n -o SOURCE / 2>/dev/null)
if [ -b "$hostdev" ] && ! realpath "/sys/dev/block/$(stat -L -c '%t:%T' "$hostdev" | { IFS=: read -r a b; echo $((16#$a)):$((16#$b)); })" | grep -q /virtual/; then
	cp -a "$root" "$tmp/root-dev"
	echo "$hostdev / ext4 defaults 0 1" >"$tmp/root-dev/etc/fstab"
	verify 0 "root on this machine's disk $hostdev" "$dir/dracut-generic-gzip.img" "$tmp/root-dev"
	grep -q "present .*driver of the root's device" "$tmp/out" && echo "ok: drivers of $hostdev required: $(grep -c "driver of the root's device" "$tmp/out")" ||
		{ bad "no driver requirement for $hostdev"; cat "$tmp/out"; }
else
	echo "note: / is not on a real block device here: device drivers not checked"
fi

# Broken image: a verdict, not a crash.
head -c 100000 "$dir/dracut-crypt-lvm.img" >"$tmp/cut.img"
verify 7 "truncated image" "$tmp/cut.img" "$root" && missing "truncated" image

exit $fail
