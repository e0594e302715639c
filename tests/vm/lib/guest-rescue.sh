# Helpers for scripted repairs and test jobs that drive the installed system
# through rescue's own verbs (unlock, mount, chroot, umount) inside the
# rescue environment. Sourced after guest.sh. Kept apart from guest.sh on
# purpose: guest.sh is part of the cache key of base and broken images,
# these helpers only of the rescue step.

ROOT=/mnt/sysroot

# step TEXT: guest.sh's step, with the guest's uptime, so a serial log shows
# where a rescue step's time goes. (Defined here rather than in guest.sh,
# which is part of the base images' cache key.)
step() { echo "== [$(cut -d' ' -f1 /proc/uptime)s] $*"; }

# sys_open [--rw]: unlock every LUKS volume with $PASS (given on a file
# descriptor, never in argv; on a system without one, rescue unlock has
# nothing to do and says so), activate LVM and mount the system under $ROOT
# as its fstab says.
sys_open() {
	rescue unlock --passphrase-fd 3 3< <(printf '%s\n' "$PASS") && rescue mount "$@"
}
# sys_close: undo every mount, activation and unlock (rescue umount), then
# check nothing is left.
sys_close() {
	sync
	rescue umount
	assert_released
}
# in_sys CMD...: run CMD inside the mounted system (rescue chroot).
in_sys() { rescue chroot -- "$@"; }

# assert_released: no device-mapper device, no mount of a target disk and
# no loop device is left behind. The rescue environment's own image (the
# loop device the medium's first stage attached for /rescue.sqfs, and its
# mount) is the running system, not something rescue opened.
assert_released() {
	local left="" own
	own=$(losetup -a 2>/dev/null | grep -F '(/rescue.sqfs' | cut -d: -f1 | head -n 1)
	left+=$(dmsetup ls 2>/dev/null | grep -v '^No devices found' || true)
	left+=$(grep -E '^/dev/(vd|mapper|dm-|loop)' /proc/mounts | grep -v -F "${own:-/nonexistent} " || true)
	left+=$(losetup -a 2>/dev/null | grep -v -F "${own:-/nonexistent}:" || true)
	if [ -n "$left" ]; then
		echo "assert_released: still in use after rescue umount:" >&2
		echo "$left" >&2
		return 1
	fi
	echo "assert_released: no dm device, mount or loop device left"
}

# check_image IMAGE WORD...: the initramfs exists, is not tiny, and its
# listing by the system's own lsinitrd mentions every WORD.
check_image() {
	local img=$1; shift
	local size w
	size=$(stat -c %s "$ROOT$img") || { echo "check_image: $img missing" >&2; return 1; }
	[ "$size" -gt 1000000 ] || { echo "check_image: $img is only $size bytes" >&2; return 1; }
	in_sys lsinitrd "$img" > /tmp/lsinitrd.out 2>&1 || true
	for w in "$@"; do
		grep -q -- "$w" /tmp/lsinitrd.out || { echo "check_image: $img lacks $w" >&2; return 1; }
	done
	echo "check_image: $img ($size bytes) has: $*"
}

# manifest OUT: what a repair may change, one line per file: the SHA-256
# (or "-> TARGET" for a symbolic link), the SELinux label ("-" for none)
# and the path. Covers /boot (with the ESP under it) and the boot-related
# files of /etc. Kernel versions are written as KREL (the release without
# its flavour), so the lists compare across Debian kernel updates.
# One find, sha256sum and getfattr for all files rather than a few
# processes per file: a process costs a TCG guest some 30 ms, and /boot
# holds hundreds of GRUB modules (46 s per manifest that way, a third of a
# rescue step).
manifest() {
	local out=$1 rel=${KVER%-amd64} m=/tmp/manifest.$$
	local paths=(boot etc/default/grub etc/default/grub.d etc/fstab etc/crypttab etc/kernel etc/dracut.conf.d
		etc/initramfs-tools/conf.d)
	(
		cd "$ROOT" || exit 1
		# Not every system has every one of these: find's complaint is no
		# error. Files that have no label make getfattr complain too.
		find "${paths[@]}" -type f ! -path '*/lost+found/*' -print0 2>/dev/null |
			xargs -0 -r sha256sum > "$m.sums"
		find "${paths[@]}" -type l ! -path '*/lost+found/*' -printf '%p\t%l\n' 2>/dev/null > "$m.links"
		find "${paths[@]}" \( -type f -o -type l \) ! -path '*/lost+found/*' -print0 2>/dev/null |
			xargs -0 -r getfattr -h -e text -n security.selinux 2>/dev/null > "$m.labels"
		awk -v sums="$m.sums" -v links="$m.links" '
			# getfattr: "# file: PATH", then security.selinux="LABEL\000".
			/^# file: / { f = substr($0, 9); next }
			/^security\.selinux=/ {
				v = substr($0, 18); sub(/^"/, "", v); sub(/"$/, "", v); sub(/\\000$/, "", v)
				label[f] = v; next
			}
			END {
				while ((getline l < sums) > 0) {
					p = substr(l, 67)
					print p "\t" substr(l, 1, 64) " " (p in label ? label[p] : "-") "  " p
				}
				while ((getline l < links) > 0) {
					split(l, a, "\t")
					print a[1] "\t-> " a[2] " " (a[1] in label ? label[a[1]] : "-") "  " a[1]
				}
			}' "$m.labels" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 | cut -f2-
	) | sed "s/$rel/KREL/g" > "$out"
	rm -f "$m.sums" "$m.links" "$m.labels"
}

# changes BEFORE AFTER: the files a repair added (A), modified (M) or
# deleted (D), from two manifests.
changes() {
	awk '
		NR == FNR { old[$NF] = $0; next }
		{ if (!($NF in old)) print "A " $NF; else if (old[$NF] != $0) print "M " $NF; seen[$NF] = 1 }
		END { for (f in old) if (!(f in seen)) print "D " f }
	' "$1" "$2" | LC_ALL=C sort -k2
}

# sectors_written DISK: the kernel's count of sectors written to DISK since
# boot (/sys/block/X/stat, field 7). Flushes are counted apart, so a
# read-only session leaves it unchanged.
sectors_written() {
	sync
	awk '{ print $7 }' "/sys/block/$(basename "$1")/stat"
}

# The results of a test job: files in $OUT, written as a tar archive to the
# disk with serial "out", which the host unpacks.
OUT=/tmp/out
mkdir -p "$OUT"
out_save() { tar -cf "$(disk_by_serial out)" -C "$OUT" . && sync; }
# job_exit STATUS: save the results, then exit with STATUS.
job_exit() { step "saving the results"; out_save || exit 1; exit "$1"; }

# Checks of a test job, each printed as "ok:" or "NOT OK:" and counted;
# checks_done saves the results and exits 0 only when none failed.
failed=0
ok() { echo "ok: $*"; }
notok() { echo "NOT OK: $*"; failed=$((failed + 1)); }
# check DESCRIPTION CMD...: run CMD, count a failure when it fails.
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
checks_done() {
	echo "$failed check(s) failed"
	out_save
	[ "$failed" = 0 ]
	exit $?
}

# wait_log FILE REGEX SECONDS: until FILE has a line matching REGEX.
wait_log() {
	local i
	for i in $(seq $(($3 * 10))); do
		grep -q -E -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_dracut SECONDS: until the generator has run that long (in the chroot).
wait_dracut() {
	local i
	for i in $(seq 3000); do pgrep -x dracut >/dev/null && break; sleep 0.1; done
	sleep "$1"
	pgrep -x dracut >/dev/null
}
