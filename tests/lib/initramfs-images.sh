#!/bin/bash
# Build the real initramfs images the reader and verifier are tested against
# and print the directory holding them. Each NAME.img comes with NAME.ref,
# the reference listing (one normalised path per line, sorted) made by the
# reference tools (lsinitrd, or cpio -t on each decompressed segment).
#
# Images: dracut (generic, restricted module set) compressed with gzip, zstd,
# xz, lz4 and bzip2; dracut with early microcode; dracut with crypt+lvm (the
# verifier's passing case; the restricted gzip one is its failing case); a
# full generic dracut image (gzip, and its cpio recompressed with zstd) for
# the benchmark; dracut hostonly when dracut manages it inside a chroot;
# mkinitramfs (zstd and gzip) with the early microcode archive; a GRUB-style
# concatenation with padding; several compressed segments in a row.
#
# Cached under $RESCUE_CACHE/initramfs/<key> (key: this script and the
# trees it starts from); about 6 minutes cold on 2 cores, instant warm.
# Needs root (chroot, mounts).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${RESCUE_CACHE:-/var/cache/rescue-dev}/initramfs
dracut_tar=$("$here/debian-tree.sh" dracut)
ucode_tar=$("$here/debian-tree.sh" initramfs-microcode)
key=$( (cat "$0"; echo "$dracut_tar $ucode_tar") | sha256sum | cut -c1-16)
out=$cache/$key
if [ -e "$out/done" ]; then
	echo "$out"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "initramfs-images: building needs root" >&2; exit 1; }
mkdir -p "$cache"
exec 9>"$cache/$key.lock"
flock 9
if [ -e "$out/done" ]; then
	echo "$out"
	exit 0
fi
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
work=$(mktemp -d /var/tmp/rescue-initramfs.XXXXXX)
mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

log() { echo "initramfs-images: $*" >&2; }

# A chroot with the API filesystems dracut and mkinitramfs need
# (/dev/fd especially: without it dracut prints errors yet exits 0).
enter_tree() { # tar dir
	mkdir -p "$2"
	tar -xf "$1" -C "$2" --exclude='./dev/*'
	mkdir -p "$2/proc" "$2/sys" "$2/dev"
	mount -t proc proc "$2/proc"; mounts+=("$2/proc")
	mount --rbind /sys "$2/sys"; mount --make-rslave "$2/sys"; mounts+=("$2/sys")
	mount --rbind /dev "$2/dev"; mount --make-rslave "$2/dev"; mounts+=("$2/dev")
}

# Reference listing from lsinitrd: its "ls -l"-style lines, name column,
# symlink targets dropped, leading ./ and / removed.
ref_lsinitrd() { # image
	lsinitrd "$1" | awk '/^[-dlcbps][-rwxsStT]{9} /{ $1=$2=$3=$4=$5=$6=$7=$8=""; sub(/^ +/, ""); sub(/ -> .*/, ""); print }' |
		sed -e 's|^\./||' -e 's|^/||' -e 's|^$|.|' | LC_ALL=C sort
}
# Reference listing of one uncompressed cpio stream.
ref_cpio() {
	cpio -t --quiet | sed -e 's|^\./||' -e 's|^/||' -e 's|^$|.|'
}

SMALL=(--no-hostonly --no-hostonly-cmdline -m "base rootfs-block kernel-modules" --no-early-microcode)

# ---- dracut ----
d=$work/dracut
log "unpacking the dracut tree"
enter_tree "$dracut_tar" "$d"
kver=$(ls "$d/usr/lib/modules" | head -n 1)
echo "$kver" >"$out.tmp/kver"
run_dracut() { # name, options...
	local name=$1
	shift
	log "dracut $name"
	chroot "$d" dracut --force --quiet --kver "$kver" "$@" "/tmp/$name.img" >"$out.tmp/$name.log" 2>&1 ||
		{ log "dracut $name failed: see $out.tmp/$name.log"; return 1; }
	mv "$d/tmp/$name.img" "$out.tmp/$name.img"
	ref_lsinitrd "$out.tmp/$name.img" >"$out.tmp/$name.ref"
}
for c in gzip zstd xz lz4 bzip2; do
	run_dracut "dracut-$c" "${SMALL[@]}" --compress "$c"
done
# Early microcode: the firmware comes from the microcode tree.
log "unpacking the microcode tree"
u=$work/ucode
enter_tree "$ucode_tar" "$u"
mkdir -p "$d/usr/lib/firmware"
cp -a "$u/usr/lib/firmware/intel-ucode" "$u/usr/lib/firmware/amd-ucode" "$d/usr/lib/firmware/"
run_dracut dracut-ucode-gzip --no-hostonly --no-hostonly-cmdline -m "base rootfs-block kernel-modules" \
	--early-microcode --compress gzip
# The verifier's passing case: LUKS and LVM support.
run_dracut dracut-crypt-lvm "${SMALL[@]/kernel-modules/kernel-modules crypt lvm dm}" --compress zstd
# Hostonly inside a chroot depends on what dracut can see of the host: keep
# it when dracut manages, say so otherwise.
run_dracut dracut-hostonly --hostonly --hostonly-mode sloppy -m "base rootfs-block kernel-modules" \
	--compress gzip || rm -f "$out.tmp/dracut-hostonly".*
# The full generic image (benchmark size) and its cpio recompressed with zstd.
run_dracut dracut-generic-gzip --no-hostonly --no-hostonly-cmdline --compress gzip
/usr/lib/dracut/skipcpio "$out.tmp/dracut-generic-gzip.img" | zcat | zstd -q -15 -T0 -o "$out.tmp/dracut-generic-zstd.img"
cp "$out.tmp/dracut-generic-gzip.ref" "$out.tmp/dracut-generic-zstd.ref"
# A copy of the target's /boot/config for the compression check.
cp "$d/boot/config-$kver" "$out.tmp/config-$kver"

# ---- mkinitramfs ----
ukver=$(ls "$u/usr/lib/modules" | head -n 1)
for c in zstd gzip; do
	log "mkinitramfs $c"
	chroot "$u" mkinitramfs -c "$c" -o "/tmp/mkinitramfs-$c.img" "$ukver" >"$out.tmp/mkinitramfs-$c.log" 2>&1
	mv "$u/tmp/mkinitramfs-$c.img" "$out.tmp/mkinitramfs-$c.img"
	ref_lsinitrd "$out.tmp/mkinitramfs-$c.img" >"$out.tmp/mkinitramfs-$c.ref"
done

# ---- hand-assembled layouts from the pieces above ----
pad4() { # file: zero-pad to a multiple of 4, as GRUB pads each initrd
	local n
	n=$(stat -c %s "$1")
	head -c $(((4 - n % 4) % 4)) /dev/zero >>"$1"
}
p=$work/pieces
mkdir -p "$p/early/kernel/x86/microcode" "$p/a/etc" "$p/b/usr/bin" "$p/c/usr/lib/modules"
cp "$u/usr/lib/firmware/intel-ucode/"* "$p/early/kernel/x86/microcode/" 2>/dev/null || true
cat "$u/usr/lib/firmware/intel-ucode/"* >"$p/early/kernel/x86/microcode/GenuineIntel.bin"
rm -f "$p/early/kernel/x86/microcode/"[0-9]*
echo hello >"$p/a/etc/hello"
printf '#!/bin/sh\necho b\n' >"$p/b/usr/bin/b"
ln -s ../lib "$p/c/lib64"
(cd "$p/early" && find . | LC_ALL=C sort | cpio -o -H newc --quiet >"$p/early.cpio")
(cd "$p/a" && find . | LC_ALL=C sort | cpio -o -H newc --quiet >"$p/a.cpio")
(cd "$p/b" && find . | LC_ALL=C sort | cpio -o -H crc --quiet >"$p/b.cpio")
(cd "$p/c" && find . | LC_ALL=C sort | cpio -o -H newc --quiet >"$p/c.cpio")

# GRUB: early microcode, then two dracut images, each padded to 4 bytes.
g=$out.tmp/grub-concat.img
cp "$p/early.cpio" "$g"; pad4 "$g"
cat "$out.tmp/dracut-gzip.img" >>"$g"; pad4 "$g"
cat "$out.tmp/dracut-xz.img" >>"$g"; pad4 "$g"
{ ref_cpio <"$p/early.cpio"; cat "$out.tmp/dracut-gzip.ref" "$out.tmp/dracut-xz.ref"; } | LC_ALL=C sort >"${g%.img}.ref"

# Several compressed segments in a row, behind two uncompressed archives.
m=$out.tmp/multi-segment.img
cat "$p/early.cpio" "$p/a.cpio" >"$m"
gzip -n -9 -c "$p/a.cpio" >>"$m"
zstd -q -19 -c "$p/b.cpio" >>"$m"
xz --check=crc32 -c "$p/c.cpio" >>"$m"
bzip2 -c "$p/a.cpio" >>"$m"
xz --format=lzma -c "$p/b.cpio" >>"$m"
lzop -c "$p/c.cpio" >>"$m"
lz4 -l -q -c "$p/a.cpio" >>"$m"
for f in early a a b c a b c a; do ref_cpio <"$p/$f.cpio"; done | LC_ALL=C sort >"${m%.img}.ref"

touch "$out.tmp/done"
rm -rf "$out"
mv "$out.tmp" "$out"
log "images ready in $out"
echo "$out"
