#!/bin/bash
# Builds (once) the disk images bench/scan.sh runs on and prints the
# directory holding them; images.list there names them in order.
#
#   bench/lib/scan-images.sh     (root)
#
# 10 partitioned disks holding 11 installed Debian 12 systems (the cached
# trees of tests/lib/debian-tree.sh, dracut and initramfs-tools flavours)
# and 20 filesystems: GPT with an ESP and an ext4 root, MBR with an ext4
# /boot and an xfs root, btrfs roots in a subvolume (fstab subvol=root) or
# in the default subvolume (@) with a separate /boot, plain ext4 roots, one
# with swap, a disk with two systems, an xfs /home. Every fstab names the
# real UUIDs of the filesystems; /boot holds the tree's kernel and
# initramfs and a grub.cfg in the layout update-grub writes.
#
# The trees are trimmed to keep building fast: no documentation, locales,
# manual pages, apt lists or kernel modules (the modules directory keeps
# its index files and an empty kernel/ tree).
#
# The images live in ${RESCUE_CACHE:-/var/cache/rescue-dev}/bench/scan-KEY,
# KEY a hash of this script and of the trees, and are rebuilt only when
# missing; older generations are removed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
self="$here/$(basename "$0")"

die() { echo "bench/scan-images: $*" >&2; exit 1; }
say() { echo "bench/scan-images: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (loop devices, mounts)"
for c in losetup sfdisk jq mke2fs e2fsck mkfs.xfs xfs_repair mkfs.btrfs btrfs mkfs.vfat fsck.vfat mcopy mkswap blkid; do
	command -v "$c" >/dev/null || die "$c missing (mcopy: apt-get install mtools; the rest: make deps)"
done

LOOPS=()
MOUNTS=()
cleanup() {
	local m l
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	for l in "${LOOPS[@]}"; do
		losetup -d "$l" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# attach ARGS...: losetup with ARGS; sets DEV and remembers it for cleanup
# (not run in a command substitution, whose subshell would forget it).
attach() {
	DEV=$(losetup -f --show "$@")
	LOOPS+=("$DEV")
}
detach() {
	local l keep=()
	partx -d "$1" >/dev/null 2>&1 || true
	blockdev --flushbufs "$1" 2>/dev/null || true
	losetup -d "$1" || say "warning: $1 was already detached (by another process?)"
	for l in "${LOOPS[@]}"; do [ "$l" = "$1" ] || keep+=("$l"); done
	LOOPS=("${keep[@]}")
}
mnt() {
	mount "$@"
	MOUNTS+=("${!#}")
}
unmnt() {
	local m keep=()
	umount "$1"
	for m in "${MOUNTS[@]}"; do [ "$m" = "$1" ] || keep+=("$m"); done
	MOUNTS=("${keep[@]}")
}

# ---- the images ---------------------------------------------------------

tree_dracut=$("$top/tests/lib/debian-tree.sh" dracut)
tree_itools=$("$top/tests/lib/debian-tree.sh" initramfs-tools)
key=$( (cat "$self"; echo "$tree_dracut $tree_itools") | sha256sum | cut -c1-16)
cache=${RESCUE_CACHE:-/var/cache/rescue-dev}/bench
imgdir=$cache/scan-$key

# name  table  tree    layout (partitions, in order: role:fs:MiB)
# roles: esp, boot, root, home, swap, biosgrub; root2 is a second system.
RECIPES=(
	"gpt-esp-ext4         gpt dracut esp:vfat:64 root:ext4:768"
	"gpt-esp-ext4-itools  gpt itools esp:vfat:64 root:ext4:768"
	"mbr-boot-xfs         dos dracut boot:ext4:256 root:xfs:768"
	"mbr-boot-xfs-itools  dos itools boot:ext4:256 root:xfs:768"
	"gpt-btrfs-subvol     gpt dracut boot:ext4:256 root:btrfs-sub:896"
	"gpt-esp-btrfs-default gpt itools esp:vfat:64 boot:ext4:256 root:btrfs-default:896"
	"mbr-ext4-plain       dos itools root:ext4:768"
	"mbr-ext4-swap        dos dracut root:ext4:768 swap:swap:64"
	"gpt-dualboot         gpt dracut esp:vfat:64 root:ext4:768 root2:ext4:768"
	"gpt-ext4-home-xfs    gpt dracut biosgrub:none:1 root:ext4:768 home:xfs:320"
)

newuuid() { cat /proc/sys/kernel/random/uuid; }

# put FILE: replace FILE with stdin (never writes through a hard link into
# the shared staging tree).
put() { rm -f "$1"; mkdir -p "$(dirname "$1")"; cat >"$1"; }

# stage NAME TARBALL: the tree without docs, locales and kernel modules
# (the module directory keeps its index files and an empty kernel/ tree).
stage() {
	local dir=$work/stage-$1
	mkdir -p "$dir"
	tar -xf "$2" -C "$dir" --numeric-owner \
		--exclude='./usr/share/doc/*' --exclude='./usr/share/locale/*' \
		--exclude='./usr/share/man/*' --exclude='./usr/share/info/*' \
		--exclude='./usr/share/i18n/*' --exclude='./usr/lib/modules/*/kernel/*' \
		--exclude='./var/cache/apt/*' --exclude='./var/lib/apt/lists/*'
	find "$dir/usr/lib/modules" -maxdepth 1 -mindepth 1 -type d -exec mkdir -p {}/kernel/fs \;
}

# fill_fs DEV FS SRC UUID LABEL: make filesystem FS on DEV holding SRC.
fill_fs() {
	local dev=$1 fs=$2 src=$3 uuid=$4 label=$5 m
	case $fs in
	ext4)
		mke2fs -q -F -t ext4 -U "$uuid" -L "$label" -d "$src" "$dev" ;;
	swap)
		mkswap -q -U "$uuid" "$dev" >/dev/null ;;
	vfat)
		# With mtools: kernels without vfat (like some build hosts) work too.
		mkfs.vfat -F 32 -n "${label^^}" -i "${uuid//-/}" "$dev" >/dev/null
		MTOOLS_SKIP_CHECK=1 mcopy -s -Q -i "$dev" "$src"/* ::/ 2>"$work/mcopy.err" ||
			{ cat "$work/mcopy.err" >&2; die "mcopy into $dev failed"; } ;;
	xfs|btrfs-sub|btrfs-default)
		case $fs in
		xfs) mkfs.xfs -q -f -L "$label" -m uuid="$uuid" "$dev" ;;
		btrfs-*) mkfs.btrfs -q -f -L "$label" -U "$uuid" "$dev" >/dev/null ;;
		esac
		m=$work/mnt
		mkdir -p "$m"
		mnt "$dev" "$m"
		case $fs in
		btrfs-sub)
			btrfs -q subvolume create "$m/root" >/dev/null
			btrfs -q subvolume create "$m/home" >/dev/null
			cp -a "$src/." "$m/root/"
			;;
		btrfs-default)
			btrfs -q subvolume create "$m/@" >/dev/null
			cp -a "$src/." "$m/@/"
			btrfs -q subvolume set-default "$m/@"
			;;
		*) cp -a "$src/." "$m/" ;;
		esac
		unmnt "$m"
		;;
	none) ;;
	*) die "unknown filesystem $fs" ;;
	esac
}

# check_fs DEV FS UUID: read-only consistency check of a new filesystem.
check_fs() {
	local got
	got=$(blkid -p -o value -s UUID "$1" 2>/dev/null || true)
	[ "$2" = none ] || [ "${got,,}" = "${3,,}" ] || { say "$1: UUID ${got:-none}, expected $3"; return 1; }
	case $2 in
	ext4) e2fsck -fn "$1" >/dev/null 2>&1 ;;
	xfs) xfs_repair -n "$1" >/dev/null 2>&1 ;;
	btrfs-*) btrfs check --readonly "$1" >/dev/null 2>&1 ;;
	vfat) fsck.vfat -n "$1" >/dev/null 2>&1 ;;
	esac
}

# build_image NAME TABLE TREE LAYOUT...
build_image() {
	local name=$1 table=$2 tree=$3
	shift 3
	local img=$work/$name.img script size=1 spec role fs mib
	local -A uuid fstype
	# The sfdisk script and the filesystems' UUIDs.
	script="label: $table"$'\n'
	for spec in "$@"; do
		IFS=: read -r role fs mib <<<"$spec"
		size=$((size + mib))
		case $role:$table in
		esp:gpt) script+="size=${mib}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B"$'\n' ;;
		esp:dos) script+="size=${mib}MiB, type=ef"$'\n' ;;
		biosgrub:gpt) script+="size=${mib}MiB, type=21686148-6449-6E6F-744E-656564454649"$'\n' ;;
		swap:gpt) script+="size=${mib}MiB, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"$'\n' ;;
		swap:dos) script+="size=${mib}MiB, type=82"$'\n' ;;
		*:gpt) script+="size=${mib}MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4"$'\n' ;;
		*:dos) script+="size=${mib}MiB, type=83"$'\n' ;;
		esac
		uuid[$role]=$(newuuid)
		fstype[$role]=$fs
	done
	if [ "${uuid[esp]:-}" ]; then
		# vfat serials are 8 hex digits: keep the one mkfs.vfat will write.
		local serial
		serial=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
		uuid[esp]="${serial:0:4}-${serial:4:4}"
		uuid[esp]=${uuid[esp]^^}
	fi
	truncate -s $(((size + 2) * 1024 * 1024)) "$img"
	sfdisk -q "$img" <<<"$script" >/dev/null

	# The trees: hard-linked copies of the staging tree, then per-system files.
	local src=$work/src-$name
	rm -rf "$src"
	mkdir -p "$src"
	local r rootsrc
	for r in root root2; do
		[ "${uuid[$r]:-}" ] || continue
		local t=$tree
		[ $r = root2 ] && { [ $tree = dracut ] && t=itools || t=dracut; }
		rootsrc=$src/$r
		cp -al "$work/stage-$t" "$rootsrc"
		local bootdir=$rootsrc/boot kprefix=/boot ruuid=${uuid[$r]} opts=""
		if [ "${uuid[boot]:-}" ] && [ $r = root ]; then
			mv "$rootsrc/boot" "$src/boot"
			mkdir "$rootsrc/boot"
			bootdir=$src/boot
			kprefix=""
		fi
		local rootline kver
		case ${fstype[$r]} in
		btrfs-sub)
			rootline="UUID=$ruuid / btrfs defaults,subvol=root 0 0"$'\n'"UUID=$ruuid /home btrfs defaults,subvol=home 0 0"
			opts=" rootflags=subvol=root" ;;
		btrfs-default) rootline="UUID=$ruuid / btrfs defaults 0 0" ;;
		xfs) rootline="UUID=$ruuid / xfs defaults 0 0" ;;
		*) rootline="UUID=$ruuid / ext4 errors=remount-ro 0 1" ;;
		esac
		{
			echo "# /etc/fstab: static file system information."
			echo "#"
			echo "# <file system> <mount point> <type> <options> <dump> <pass>"
			echo "$rootline"
			if [ "${uuid[boot]:-}" ] && [ $r = root ]; then echo "UUID=${uuid[boot]} /boot ext4 defaults 0 2"; fi
			if [ "${uuid[esp]:-}" ]; then echo "UUID=${uuid[esp]} /boot/efi vfat umask=0077 0 1"; fi
			if [ "${uuid[home]:-}" ]; then echo "UUID=${uuid[home]} /home xfs defaults 0 0"; fi
			if [ "${uuid[swap]:-}" ]; then echo "UUID=${uuid[swap]} none swap sw 0 0"; fi
		} | put "$rootsrc/etc/fstab"
		echo "$name-$r" | put "$rootsrc/etc/hostname"
		kver=$(basename "$(ls "$bootdir"/vmlinuz-* | sort -V | tail -1)")
		kver=${kver#vmlinuz-}
		# grub finds /boot by the UUID of the filesystem holding it.
		local search=$ruuid
		if [ -z "$kprefix" ]; then search=${uuid[boot]}; fi
		cat <<-EOF | put "$bootdir/grub/grub.cfg"
		# Generated for the benchmark images in the layout of Debian's update-grub.
		set default="0"
		insmod part_$([ "$table" = gpt ] && echo gpt || echo msdos)
		insmod ext2
		search --no-floppy --fs-uuid --set=root $search
		set timeout=5
		menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-simple-$ruuid' {
			load_video
			insmod gzio
			search --no-floppy --fs-uuid --set=root $search
			echo 'Loading Linux $kver ...'
			linux $kprefix/vmlinuz-$kver root=UUID=$ruuid ro$opts quiet
			echo 'Loading initial ramdisk ...'
			initrd $kprefix/initrd.img-$kver
		}
		submenu 'Advanced options for Debian GNU/Linux' \$menuentry_id_option 'gnulinux-advanced-$ruuid' {
			menuentry 'Debian GNU/Linux, with Linux $kver (recovery mode)' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-$kver-recovery-$ruuid' {
				search --no-floppy --fs-uuid --set=root $search
				linux $kprefix/vmlinuz-$kver root=UUID=$ruuid ro$opts single
				initrd $kprefix/initrd.img-$kver
			}
		}
		EOF
		mkdir -p "$bootdir/grub/i386-pc"
		echo "bios modules directory" | put "$bootdir/grub/i386-pc/README"
		if [ "${uuid[esp]:-}" ] && [ $r = root ]; then
			local esp=$src/esp
			mkdir -p "$esp/EFI/debian" "$esp/EFI/BOOT"
			if [ -f "$rootsrc/usr/lib/grub/x86_64-efi/monolithic/grubx64.efi" ]; then
				cp "$rootsrc/usr/lib/grub/x86_64-efi/monolithic/grubx64.efi" "$esp/EFI/debian/grubx64.efi"
			else
				head -c 4096 /dev/zero >"$esp/EFI/debian/grubx64.efi"
			fi
			cp "$esp/EFI/debian/grubx64.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
			cat >"$esp/EFI/debian/grub.cfg" <<-EOF
			search.fs_uuid $search root
			set prefix=(\$root)'$kprefix/grub'
			configfile \$prefix/grub.cfg
			EOF
		fi
	done
	if [ "${uuid[home]:-}" ]; then
		mkdir -p "$src/home/user"
		echo "notes" >"$src/home/user/notes.txt"
	fi

	# The filesystems, one loop device per partition, by offset.
	local i=0 start sectors dev
	local -a parts
	mapfile -t parts < <(sfdisk -J "$img" | jq -r '.partitiontable.partitions[] | "\(.start) \(.size)"')
	for spec in "$@"; do
		IFS=: read -r role fs mib <<<"$spec"
		read -r start sectors <<<"${parts[$i]}"
		i=$((i + 1))
		[ "$fs" = none ] && continue
		attach -o $((start * 512)) --sizelimit $((sectors * 512)) "$img"
		dev=$DEV
		local from=$src/$role
		[ -d "$from" ] || from=$src/empty-$role
		mkdir -p "$from"
		fill_fs "$dev" "$fs" "$from" "${uuid[$role]}" "$role"
		detach "$dev"
		# Check what reached the image file, through a fresh device.
		attach -r -o $((start * 512)) --sizelimit $((sectors * 512)) "$img"
		check_fs "$DEV" "$fs" "${uuid[$role]}" || die "$name: the $role filesystem ($fs) is damaged"
		detach "$DEV"
	done
	rm -rf "$src"
	mv "$img" "$imgdir/$name.img"
}

build_images() {
	mkdir -p "$cache"
	exec 8>"$cache/scan-$key.lock"
	flock 8
	[ -e "$imgdir/.complete" ] && return 0
	say "building the benchmark images into $imgdir (a few minutes, once)"
	work=$cache/work-$key
	rm -rf "$work" "$imgdir"
	mkdir -p "$work" "$imgdir"
	stage dracut "$tree_dracut"
	stage itools "$tree_itools"
	local r
	for r in "${RECIPES[@]}"; do
		# shellcheck disable=SC2086
		build_image $r
		say "  $(echo $r | cut -d' ' -f1)"
	done
	rm -rf "$work"
	for r in "${RECIPES[@]}"; do echo "${r%% *}.img"; done >"$imgdir/images.list"
	touch "$imgdir/.complete"
	# Older generations of the images are stale.
	find "$cache" -maxdepth 1 -name 'scan-*' ! -name "scan-$key*" -exec rm -rf {} +
}

[ -e "$imgdir/.complete" ] || build_images
echo "$imgdir"
