#!/bin/bash
# Build the rescue environment's kernel + initramfs pair from Debian packages:
#   build-image.sh RESCUE-BINARY OUTDIR
# writes OUTDIR/vmlinuz, OUTDIR/initrd.img and OUTDIR/manifest.txt.
# The initramfs is small: busybox, the loop, squashfs and overlay modules,
# the first stage of init (early-init) and /rescue.sqfs, the whole userland
# as one squashfs image that stays compressed in RAM (docs/medium.md).
# SQUASHFS_COMP="zstd -Xcompression-level 19" and SQUASHFS_BLOCK=256K
# choose how it is packed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: build-image.sh RESCUE-BINARY OUTDIR}
out=${2:?usage: build-image.sh RESCUE-BINARY OUTDIR}
[ -x "$bin" ] || { echo "build-image: $bin is not an executable" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "build-image: needs root (device nodes, chroot)" >&2; exit 1; }
for t in cpio mksquashfs depmod tsort; do
	command -v $t >/dev/null || { echo "build-image: $t missing: run tools/install-deps.sh" >&2; exit 1; }
done

tar=$("$here/tree.sh")
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/rescue-image.XXXXXX")
[ -n "${RESCUE_IMAGE_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"
tar -xf "$tar" -C "$root"

kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
[ -n "$kver" ] && [ -f "$root/boot/vmlinuz-$kver" ] || { echo "build-image: no kernel in the tree" >&2; exit 1; }
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"

# Kernel modules: the listed paths and everything they depend on.
mdir=$root/lib/modules/$kver
sed 's/#.*//; /^[[:space:]]*$/d' "$here/modules.list" | while read -r p; do
	if [ -d "$mdir/kernel/$p" ]; then
		(cd "$mdir" && find "kernel/$p" -name '*.ko*')
	elif [ -f "$mdir/kernel/$p" ]; then
		echo "kernel/$p"
	fi
done | sort -u > "$work/want"
# modules.dep lines are "path: dep dep ..."; close the set over them.
awk -F': *' 'NR==FNR { want[$1]=1; next }
	{ dep[$1]=$2 }
	END {
		n=0; for (m in want) queue[n++]=m
		for (i=0; i<n; i++) { split(dep[queue[i]], d, " ")
			for (j in d) if (!(d[j] in want)) { want[d[j]]=1; queue[n++]=d[j] } }
		for (m in want) print m
	}' "$work/want" "$mdir/modules.dep" | sort -u > "$work/keep"
(cd "$mdir" && find kernel -name '*.ko*') | sort > "$work/all"
comm -23 "$work/all" "$work/keep" | (cd "$mdir" && xargs -r rm -f)
find "$mdir/kernel" -type d -empty -delete
# Modules stay as Debian ships them (uncompressed, signature appended): the
# squashfs image compresses them better together than xz does one by one
# (46.2 against 48.7 MB of image with xz and 1 MiB blocks, 2026-12-03),
# and only the loaded ones are ever unpacked into RAM.
depmod -b "$root" "$kver"

{
	echo "kernel $kver"
	echo "packages (some files of them are trimmed below):"
	chroot "$root" dpkg-query -W -f '  ${Package} ${Version}\n'
	echo "modules: $(wc -l < "$work/keep")"
} > "$work/manifest"

# Trim what a rescue environment never reads: documentation, time zones,
# the hardware database, and the interpreters and ICU that only xfs_scrub_all
# and package maintainer scripts use (nothing here runs dpkg). GRUB's EFI
# modules go too (19 MB unpacked): a UEFI system is repaired with its own
# grub-install and signed packages in its chroot, and an unsigned GRUB
# from here would not start under Secure Boot; the BIOS modules stay for
# grub-install by hand. Every megabyte here is RAM on the rescue machine.
rm -rf "$root/boot" "$root/var/cache/apt" "$root/var/lib/apt/lists" \
	"$root/usr/share/zoneinfo" "$root/usr/lib/x86_64-linux-gnu/gconv" \
	"$root/usr/share/i18n" "$root/usr/lib/udev/hwdb.bin" "$root/etc/udev/hwdb.bin" \
	"$root/usr/lib/udev/hwdb.d" "$root/usr/share/bash-completion" \
	"$root/usr/lib/python3"* "$root/usr/bin/python3"* "$root/usr/share/perl" \
	"$root/usr/lib/x86_64-linux-gnu/perl" "$root/usr/lib/x86_64-linux-gnu/libperl"* \
	"$root/usr/bin/perl5"* "$root/usr/lib/x86_64-linux-gnu/libicu"* \
	"$root/usr/bin/perl" "$root/usr/lib/x86_64-linux-gnu/perl-base" "$root/usr/share/perl5" \
	"$root/usr/lib/grub/x86_64-efi" \
	"$root/usr/sbin/xfs_scrub"* "$root/usr/lib/udev/rules.d/"*xfs_scrub* \
	"$root/var/lib/dpkg/info" "$root/var/cache/debconf" "$root/var/log/"*
# Without perl, its scripts would only fail: they go too.
for f in "$root"/usr/bin/* "$root"/usr/sbin/*; do
	[ -f "$f" ] && [ ! -L "$f" ] && head -c 64 "$f" | grep -q '^#!.*perl' && rm -f "$f"
done
# Keyboard layouts: only the PC console maps (rescue.keymap=).
find "$root/usr/share/keymaps" -mindepth 1 -maxdepth 1 ! -name i386 ! -name include \
	-exec rm -rf {} + 2>/dev/null || true
mkdir -p "$root/var/lib/dpkg/info"
# Every program left must still find its libraries.
broken=$(chroot "$root" sh -c 'for f in /usr/bin/* /usr/sbin/*; do
	[ -L "$f" ] || ! ldd "$f" 2>/dev/null | grep -q "not found" || echo "$f"; done')
[ -z "$broken" ] || echo "build-image: warning: programs missing libraries after trimming: $broken" >&2

# The rescue binary; every library it needs must come from the tree.
install -m 0755 "$bin" "$root/usr/sbin/rescue"
if chroot "$root" ldd /usr/sbin/rescue | grep 'not found'; then
	echo "build-image: the tree lacks libraries rescue needs (add them to packages.list)" >&2
	exit 1
fi
install -m 0755 "$here/init" "$root/init"
cat > "$root/etc/motd" <<'MOTD'

rescue environment: 'rescue' finds installed systems and repairs their boot.
  rescue scan            what is on these disks (read-only)
  rescue --help          everything else
The usual tools are here too: cryptsetup, lvm, mdadm, mkfs.*, grub-install (BIOS).

MOTD
echo rescue > "$root/etc/hostname"
printf 'PS1="rescue:\\w# "\n' > "$root/root/.bashrc"
# Without a password entry login shells complain; root has no password here.
sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"
# LVM runs with udev (init starts udevd); keep its locks in /run.
ln -sf /proc/mounts "$root/etc/mtab"
# USB sticks: no settling delay before the disk shows up (the medium's own
# RESCUE partition is looked for at boot).
mkdir -p "$root/etc/modprobe.d"
echo "options usb-storage delay_use=0" > "$root/etc/modprobe.d/rescue.conf"

# Reproducible: files written here get the time of SOURCE_DATE_EPOCH
# (default: the last commit); mksquashfs is reproducible by default and
# sorts directories itself; cpio numbers inodes in order.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$here" log -1 --format=%ct 2>/dev/null || stat -c %Y "$here/../VERSION")
fi
find "$root" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# The userland: one squashfs image. zstd at level 19 in 256 KiB blocks:
# every program the boot starts is read, and unpacked, from it. xz with
# x86 branch filters in 1 MiB blocks is 9.7 MB smaller (every byte of the
# image is RAM for as long as the environment runs), but unpacking its
# blocks held the boot back by 3.3 to 4 s under TCG, and a file's first
# read unpacks a whole block; zstd unpacks several times faster
# (docs/benchmarks.md, 2026-12-03). No extended attributes: the tree comes
# from a tar archive without them, as the cpio archive had none.
early=$work/early
mkdir -p "$early"
# mksquashfs refuses SOURCE_DATE_EPOCH from the environment together with
# the explicit times (which say the same): it runs without the variable.
# shellcheck disable=SC2086 # SQUASHFS_COMP is a compressor and its options
env -u SOURCE_DATE_EPOCH mksquashfs "$root" "$early/rescue.sqfs" -noappend -quiet -no-progress -no-xattrs \
	-comp ${SQUASHFS_COMP:-zstd -Xcompression-level 19} -b "${SQUASHFS_BLOCK:-256K}" \
	-reproducible -mkfs-time "$SOURCE_DATE_EPOCH" -all-time "$SOURCE_DATE_EPOCH" >/dev/null

# The initramfs around it: busybox (statically linked) for the first stage,
# and the modules that stage needs to mount the image, in load order (a
# module's dependencies before it; tsort on modules.dep's pairs).
mkdir -p "$early/bin" "$early/lib/modules" "$early/dev" "$early/proc" "$early/sys" \
	"$early/run" "$early/newroot"
cp "$root/usr/bin/busybox" "$early/bin/busybox"
for a in sh mount cat sed sleep insmod mkdir losetup cp ln switch_root; do
	ln -s busybox "$early/bin/$a"
done
mknod -m 600 "$early/dev/console" c 5 1
awk -F': *' -v want="kernel/drivers/block/loop.ko kernel/fs/squashfs/squashfs.ko kernel/fs/overlayfs/overlay.ko" '
	BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) { need[w[i]] = 1; queue[i] = w[i] } }
	{ dep[$1] = $2 }
	END {
		for (i = 1; i <= n; i++) { m = queue[i]; print m, m
			c = split(dep[m], d, " ")
			for (j = 1; j <= c; j++) { print d[j], m; if (!(d[j] in need)) { need[d[j]] = 1; queue[++n] = d[j] } } }
	}' "$mdir/modules.dep" | tsort > "$work/early.order"
[ "$(grep -c . "$work/early.order")" -ge 3 ] || { echo "build-image: loop, squashfs or overlay missing from modules.dep" >&2; exit 1; }
while read -r m; do
	cp "$mdir/$m" "$early/lib/modules/"
	basename "$m"
done < "$work/early.order" > "$early/lib/modules/early.order"
install -m 0755 "$here/early-init" "$early/init"
# The archive's last entry: when the kernel runs out of memory unpacking
# it ("Initramfs unpacking failed"), it boots what it got so far, and
# early-init tells the missing end (the image cut short) by this file's
# absence.
echo "$(cat "$here/../VERSION" 2>/dev/null || echo 0)" > "$early/.rescue-complete"
find "$early" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
# Not compressed: the image inside is already; compressing the archive
# again would save about 1 MB (busybox) and cost the kernel the time to
# run 45 MB that do not shrink through a decompressor.
(cd "$early" && { find . -mindepth 1 ! -path ./.rescue-complete | LC_ALL=C sort; echo ./.rescue-complete; } |
	cpio -o -H newc --quiet --reproducible) > "$out/initrd.img.tmp"
{
	cat "$work/manifest"
	echo "userland: $(du -sm "$root" | cut -f1) MB unpacked, $(du -m "$early/rescue.sqfs" | cut -f1) MB as rescue.sqfs"
	echo "early modules: $(tr '\n' ' ' < "$early/lib/modules/early.order")"
} > "$out/manifest.txt"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "build-image: $out/vmlinuz $out/initrd.img ($(du -m "$out/initrd.img" | cut -f1) MB initramfs, $(du -m "$out/vmlinuz" | cut -f1) MB kernel)"
