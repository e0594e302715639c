#!/bin/bash
# Build the real initramfs images the reader and verifier are tested against
# and print the directory holding them. Each NAME.img comes with NAME.ref,
# the reference listing (one normalised path per line, sorted) made by the
# reference tools (lsinitrd, or cpio -t on each decompressed segment).
#
# Images: dracut (generic, restricted module set) compressed with gzip, zstd,
# xz, lz4, bzip2, lzma and lzo; dracut with early microcode; dracut with crypt+lvm (the
# verifier's passing case; the restricted gzip one is its failing case); a
# full generic dracut image (gzip, and its cpio recompressed with zstd) for
# the benchmark; mkinitramfs with the early microcode archives; a GRUB-style
# concatenation with padding; several compressed segments in a row. Also
# two target roots for verify (root-dracut, root-initramfs-tools).
#
# dracut --hostonly is not built: inside a chroot on a kernel without
# module loading (no /proc/modules) dracut cannot see what the host uses.
#
# Cached under $RESCUE_CACHE/initramfs/<key> (key: this script and the
# trees it starts from); 6 to 8 minutes cold on 2 idle cores, instant warm.
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

# Reference listing from lsinitrd: the name column of its "ls -l"-style
# lines (device lines carry "major, minor" instead of a size), symlink
# targets dropped, leading ./ and / removed.
ref_lsinitrd() { # image
	lsinitrd "$1" |
		sed -nE 's/^[-dlcbps][-rwxsStT]{9}\.? +[0-9]+ +[^ ]+ +[^ ]+ +([0-9]+, +)?[0-9]+ +[A-Z][a-z]{2} +[0-9]+ +([0-9]{2}:[0-9]{2}|[0-9]{4}) (.*)$/\3/p' |
		sed -e 's| -> .*||' -e 's|^\./||' -e 's|^/||' -e 's|^$|.|' | LC_ALL=C sort
}
# Reference listing of one uncompressed cpio stream.
ref_cpio() {
	cpio -t --quiet | sed -e 's|^\./||' -e 's|^/||' -e 's|^$|.|'
}

# A restricted module set keeps the compressor variants quick; the full
# generic image is made once, for the benchmark.
DRIVERS="ext4 ahci sd_mod nvme virtio_blk virtio_scsi virtio_pci"
SMALL=(--no-hostonly --no-hostonly-cmdline -m "base rootfs-block kernel-modules" --drivers "$DRIVERS")

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
	if grep -q 'falling back\|ERROR' "$out.tmp/$name.log"; then
		log "dracut $name: $(head -n 1 "$out.tmp/$name.log")"
		return 1
	fi
	mv "$d/tmp/$name.img" "$out.tmp/$name.img"
	ref_lsinitrd "$out.tmp/$name.img" >"$out.tmp/$name.ref"
	[ -s "$out.tmp/$name.ref" ] || { log "no reference listing for $name"; return 1; }
}
# The tree has gzip only; dracut pipes its cpio into the compressor, so
# one uncompressed run compressed here with dracut's own command lines
# gives the bytes dracut would write with that compressor installed
# (lzma and lzo at lower levels than dracut's -9: same formats, a minute
# less of fixture time).
run_dracut dracut-gzip "${SMALL[@]}" --compress gzip
run_dracut dracut-none "${SMALL[@]}" --no-compress
declare -A dracut_cmd=(
	[zstd]="zstd -15 -q -T0" [xz]="xz --check=crc32 --lzma2=dict=1MiB -T0" [lz4]="lz4 -l -9 -q"
	[bzip2]="bzip2 -9" [lzma]="xz --format=lzma -6" [lzo]="lzop -3"
)
for c in zstd xz lz4 bzip2 lzma lzo; do
	log "dracut-$c"
	${dracut_cmd[$c]} <"$out.tmp/dracut-none.img" >"$out.tmp/dracut-$c.img"
	cp "$out.tmp/dracut-none.ref" "$out.tmp/dracut-$c.ref"
done
# Early microcode: the firmware comes from the microcode tree.
log "unpacking the microcode tree"
u=$work/ucode
enter_tree "$ucode_tar" "$u"
mkdir -p "$d/usr/lib/firmware"
cp -a "$u/usr/lib/firmware/intel-ucode" "$u/usr/lib/firmware/amd-ucode" "$d/usr/lib/firmware/"
run_dracut dracut-ucode-gzip "${SMALL[@]}" --early-microcode --compress gzip
# The verifier's passing case: LUKS and LVM support (the restricted gzip
# image above, without them, is its failing case).
run_dracut dracut-crypt-lvm "${SMALL[@]}" -a "crypt lvm dm" --compress gzip
# The full generic image (benchmark size; it carries the early microcode
# copied in above) and the same image with its main cpio recompressed with
# zstd (-9 rather than dracut's -15: decompression speed is the same).
run_dracut dracut-generic-gzip --no-hostonly --no-hostonly-cmdline --compress gzip
log "dracut-generic-zstd"
g=$out.tmp/dracut-generic-gzip.img
main=$(/usr/lib/dracut/skipcpio "$g" | wc -c)
head -c $(($(stat -c %s "$g") - main)) "$g" >"$out.tmp/dracut-generic-zstd.img"
/usr/lib/dracut/skipcpio "$g" | zcat | zstd -9 -q -T0 >>"$out.tmp/dracut-generic-zstd.img"
cp "$out.tmp/dracut-generic-gzip.ref" "$out.tmp/dracut-generic-zstd.ref"
# The target's kernel configuration, for the compression check.
cp "$d/boot/config-$kver" "$out.tmp/config-$kver"

# ---- mkinitramfs ----
# Its default compression (gzip here: the tree has no zstd), behind the
# uncompressed early microcode archives. lsinitrd cannot list such an image
# past its second archive (skipcpio skips one), so the reference is cpio -t
# on each piece: skipcpio as often as uncompressed archives lead, then the
# decompressor of what follows.
ref_segments() { # image
	local cur=$work/ref-cur next=$work/ref-next magic
	cp "$1" "$cur"
	while [ "$(head -c 4 "$cur")" = "0707" ]; do
		ref_cpio <"$cur"
		/usr/lib/dracut/skipcpio "$cur" >"$next"
		mv "$next" "$cur"
	done
	magic=$(od -An -tx1 -N4 "$cur" | tr -d ' ')
	case $magic in
	1f8b*) zcat "$cur" ;;
	28b52ffd) zstdcat "$cur" ;;
	fd377a58) xzcat "$cur" ;;
	425a68*) bzcat "$cur" ;;
	*) echo "unknown magic $magic" >&2; return 1 ;;
	esac | ref_cpio
	rm -f "$cur"
}
ukver=$(ls "$u/usr/lib/modules" | head -n 1)
log "mkinitramfs"
chroot "$u" mkinitramfs -o /tmp/mkinitramfs.img "$ukver" >"$out.tmp/mkinitramfs.log" 2>&1
mv "$u/tmp/mkinitramfs.img" "$out.tmp/mkinitramfs.img"
ref_segments "$out.tmp/mkinitramfs.img" | LC_ALL=C sort >"$out.tmp/mkinitramfs.ref"

# ---- target roots for verify ----
# What verify reads of an installed system: the module tree's index files
# (with empty stand-ins for the .ko files libkmod stats), modprobe.d,
# /boot/config, and an fstab/crypttab/LVM backup putting / on ext4 on LVM
# (vg0/root) on LUKS.
LUKS_UUID=0a1b2c3d-1111-2222-3333-444455556666
make_root() { # tree, kver, root
	local t=$1 k=$2 r=$3 m=usr/lib/modules/$2 x
	mkdir -p "$r/$m" "$r/boot" "$r/etc/lvm/backup"
	cp -a "$t/$m"/modules.* "$r/$m/"
	(cd "$t/$m" && find kernel -name '*.ko*') | sed 's|/[^/]*$||' | sort -u | (cd "$r/$m" && xargs mkdir -p)
	(cd "$t/$m" && find kernel -name '*.ko*') | (cd "$r/$m" && xargs touch)
	for x in etc/modprobe.d usr/lib/modprobe.d; do
		[ -d "$t/$x" ] && mkdir -p "$r/$x" && cp -a "$t/$x/." "$r/$x/"
	done
	ln -s usr/lib "$r/lib"
	cp "$t/boot/config-$k" "$r/boot/"
	cat >"$r/etc/fstab" <<-EOF
	/dev/mapper/vg0-root / ext4 errors=remount-ro 0 1
	UUID=6f1e2d3c-aaaa-bbbb-cccc-ddddeeeeffff /boot ext4 defaults 0 2
	EOF
	echo "luks-$LUKS_UUID UUID=$LUKS_UUID none luks,discard" >"$r/etc/crypttab"
	cat >"$r/etc/lvm/backup/vg0" <<-EOF
	vg0 {
		id = "AAAAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGGGG"
		seqno = 2
		format = "lvm2"
		physical_volumes {
			pv0 {
				id = "HHHHHH-IIII-JJJJ-KKKK-LLLL-MMMM-NNNNNN"
				device = "/dev/mapper/luks-$LUKS_UUID"
				pe_count = 2559
			}
		}
		logical_volumes {
			root {
				segment_count = 1
				segment1 {
					start_extent = 0
					extent_count = 2559
					type = "striped"
					stripe_count = 1
					stripes = [ "pv0", 0 ]
				}
			}
		}
	}
	EOF
}
log "target roots"
make_root "$d" "$kver" "$out.tmp/root-dracut"
make_root "$u" "$ukver" "$out.tmp/root-initramfs-tools"

# ---- hand-assembled layouts from the pieces above ----
pad4() { # file: zero-pad to a multiple of 4, as GRUB pads each initrd
	local n
	n=$(stat -c %s "$1")
	head -c $(((4 - n % 4) % 4)) /dev/zero >>"$1"
}
p=$work/pieces
mkdir -p "$p/early/kernel/x86/microcode" "$p/a/etc" "$p/b/usr/bin" "$p/c/usr/lib/modules"
cat $(ls "$u/usr/lib/firmware/intel-ucode/"* | head -n 4) >"$p/early/kernel/x86/microcode/GenuineIntel.bin"
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
