#!/bin/bash
# rescue scan vs os-prober: both tools look at the same set of disk images
# holding installed Debian 12 systems, in one run, and the figures are
# printed side by side.
#
#   bench/scan.sh            (root; `make bench` runs it with every bench/*.sh)
#
# The images (10 partitioned disks, 11 installed Debian 12 systems, 20
# filesystems) are built once by bench/lib/scan-images.sh into
# ${RESCUE_CACHE:-/var/cache/rescue-dev}/bench/ (see there).
#
# os-prober only looks at the partitions the kernel lists in /sys/block.
# Each image is attached read-only with `losetup -r -P` and its partitions
# are registered with `partx -a` (the BLKPG ioctl, which needs no partition
# table parser in the kernel), so os-prober sees /dev/loopNpM like any disk's
# partitions. rescue scan is given the image files (--image) and attaches
# the partitions it needs itself, by offset.
#
# Both tools run once untimed (warm page cache), then RUNS times (default
# 3) each; wall time and CPU time (user+sys of every process the tool
# starts, daemons included, from a cpuacct cgroup when one can be made)
# are reported as medians. A benchmark prints figures: the exit status is
# non-zero only when something fails, never for a slow result.
#
# Environment: RESCUE (the binary), RESCUE_BUILD (its build directory,
# default build-bench), RUNS, RESCUE_CACHE, KEEP_LOGS=1 (keep the tools'
# outputs and print where).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
RUNS=${RUNS:-3}
build=${RESCUE_BUILD:-build-bench}
case $build in /*) ;; *) build=$top/$build ;; esac
RESCUE=${RESCUE:-$build/rescue}

die() { echo "bench/scan: $*" >&2; exit 1; }
say() { echo "bench/scan: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (loop devices, mounts)"
for c in losetup partx jq os-prober; do
	command -v "$c" >/dev/null || die "$c missing (os-prober: apt-get install os-prober; the rest: make deps)"
done
if [ ! -x "$RESCUE" ]; then
	say "building $RESCUE"
	make -C "$top" BUILD="$build" >/dev/null
fi

# ---- cleanup: every loop device this script attached --------------------

LOOPS=()
TMP=$(mktemp -d /tmp/bench-scan.XXXXXX)
CG=
cleanup() {
	local l
	for l in "${LOOPS[@]}"; do
		partx -d "$l" >/dev/null 2>&1 || true
		losetup -d "$l" 2>/dev/null || true
	done
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null || true
	if [ "${KEEP_LOGS:-0}" = 1 ]; then
		echo "bench/scan: logs kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# attach ARGS...: losetup with ARGS; sets DEV and remembers it for cleanup
# (not run in a command substitution, whose subshell would forget it).
attach() {
	DEV=$(losetup -f --show "$@")
	LOOPS+=("$DEV")
}
imgdir=$("$here/lib/scan-images.sh")
images=()
while read -r name; do images+=("$imgdir/$name"); done <"$imgdir/images.list"
for i in "${images[@]}"; do [ -s "$i" ] || die "$i missing: remove $imgdir and rerun"; done

# ---- measuring ----------------------------------------------------------

# A cpuacct cgroup counts the CPU of every process a tool starts, including
# daemons that leave the process tree (os-prober's grub-mount runs as a
# FUSE daemon). Without one, /usr/bin/time's children times are used.
cgroot=/sys/fs/cgroup/cpuacct
[ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ] || cgroot=
if [ -n "$cgroot" ]; then
	CG=$cgroot/bench-scan-$$
	mkdir "$CG" 2>/dev/null || CG=
fi

# measure OUT ERR CMD...: runs CMD, sets WALL_MS, CPU_MS, RC.
measure() {
	local out=$1 err=$2 t0 t1 c0=0 c1=0
	shift 2
	if [ -n "$CG" ]; then
		c0=$(cat "$CG/cpuacct.usage")
		t0=$(date +%s%N)
		set +e
		(echo "$BASHPID" >"$CG/cgroup.procs" && exec "$@") >"$out" 2>"$err"
		RC=$?
		set -e
		t1=$(date +%s%N)
		# Wait for daemons of the tool (FUSE mounts being released).
		local n=0
		while [ "$(wc -l <"$CG/cgroup.procs")" -gt 0 ] && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		c1=$(cat "$CG/cpuacct.usage")
		CPU_MS=$(((c1 - c0) / 1000000))
	else
		t0=$(date +%s%N)
		set +e
		/usr/bin/time -f '%U %S' -o "$TMP/time" "$@" >"$out" 2>"$err"
		RC=$?
		set -e
		t1=$(date +%s%N)
		CPU_MS=$(awk '{printf "%d", ($1 + $2) * 1000}' "$TMP/time")
	fi
	WALL_MS=$(((t1 - t0) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# The partitions as the kernel shows them, for os-prober.
declare -A owner
for img in "${images[@]}"; do
	attach -r -P "$img"
	dev=$DEV
	partx -a "$dev" >/dev/null 2>&1 || true
	for p in /sys/block/"${dev#/dev/}"/"${dev#/dev/}"p*; do
		[ -e "$p" ] || continue
		owner[/dev/${p##*/}]=$(basename "$img" .img)
	done
done
nparts=${#owner[@]}
[ "$nparts" -gt 0 ] || die "no partition devices appeared after partx -a"
for p in "${!owner[@]}"; do
	n=0
	while [ ! -b "$p" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	[ -b "$p" ] || die "$p did not appear"
done
others=$(find /sys/block/*/ -maxdepth 1 -name '*[0-9]' -type d -exec test -f '{}/start' \; -print 2>/dev/null |
	sed 's,.*/,/dev/,' | while read -r p; do [ -n "${owner[$p]:-}" ] || echo "$p"; done)

rescue_cmd=("$RESCUE" scan --json)
for img in "${images[@]}"; do rescue_cmd+=(--image "$img"); done

# rescue scan exits 0 when it found systems and 4 when some filesystem could
# not be examined (reported below); anything else is a failure.
rescue_ok() { [ "$RC" -eq 0 ] || [ "$RC" -eq 4 ]; }

say "warming up (one untimed run of each tool)"
measure "$TMP/rescue.json" "$TMP/rescue.err" "${rescue_cmd[@]}"
rescue_ok || { cat "$TMP/rescue.err" >&2; die "rescue scan exited $RC"; }
measure "$TMP/osprober.out" "$TMP/osprober.err" os-prober
[ "$RC" -eq 0 ] || { tail "$TMP/osprober.err" >&2; die "os-prober exited $RC"; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
rw=() rc=() ow=() oc=()
for ((n = 1; n <= RUNS; n++)); do
	measure "$TMP/rescue.json" "$TMP/rescue.err" "${rescue_cmd[@]}"
	rescue_ok || { cat "$TMP/rescue.err" >&2; die "rescue scan exited $RC"; }
	rw+=("$WALL_MS") rc+=("$CPU_MS")
	measure "$TMP/osprober.out" "$TMP/osprober.err" os-prober
	[ "$RC" -eq 0 ] || { tail "$TMP/osprober.err" >&2; die "os-prober exited $RC"; }
	ow+=("$WALL_MS") oc+=("$CPU_MS")
done

# ---- what each tool found -----------------------------------------------

# Filesystems rescue scan probed: every filesystem of a type it mounts.
nfs=$(jq '[.devices[] | select(.usage == "filesystem" and
	(.type | IN("ext2","ext3","ext4","xfs","btrfs","vfat","f2fs")))] | length' "$TMP/rescue.json")
nfs_err=$(jq '[.devices[] | select(.usage == "filesystem" and .error != null)] | length' "$TMP/rescue.json")
rescue_sys=$(jq '.systems | length' "$TMP/rescue.json")
# System -> image:partition number, for the comparison below.
jq -r '.systems[] | "\(.root_device) \(.subvol // "-") \(.os_release.PRETTY_NAME)"' "$TMP/rescue.json" \
	>"$TMP/rescue.systems"
os_linux=$(grep -c ':linux$' "$TMP/osprober.out" || true)
os_all=$(grep -c . "$TMP/osprober.out" || true)

mr=$(median "${rw[@]}") mrc=$(median "${rc[@]}") mo=$(median "${ow[@]}") moc=$(median "${oc[@]}")
ratio=$(awk -v a="$mo" -v b="$mr" 'BEGIN{ if (b > 0) printf "%.1f", a / b; else print "inf" }')
cratio=$(awk -v a="$moc" -v b="$mrc" 'BEGIN{ if (b > 0) printf "%.1f", a / b; else print "inf" }')
per_fs=$(awk -v c="$mrc" -v n="$nfs" 'BEGIN{ if (n > 0) printf "%.1f", c / n; else print "n/a" }')
per_fs_o=$(awk -v c="$moc" -v n="$nfs" 'BEGIN{ if (n > 0) printf "%.1f", c / n; else print "n/a" }')

echo
echo "rescue scan vs os-prober: ${#images[@]} disk images, $nparts partitions, $nfs filesystems"
echo "(median of $RUNS runs after one untimed run; CPU = user+sys of all the tool's processes;"
echo " $(nproc) CPUs, load average before the runs: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg))"
echo
printf '%-14s %10s %10s %12s %16s  %s\n' tool "wall ms" "CPU ms" "CPU ms/fs" "systems found" "runs (wall/CPU ms)"
runs_r=$(for ((n = 0; n < RUNS; n++)); do printf '%s/%s ' "${rw[$n]}" "${rc[$n]}"; done)
runs_o=$(for ((n = 0; n < RUNS; n++)); do printf '%s/%s ' "${ow[$n]}" "${oc[$n]}"; done)
printf '%-14s %10s %10s %12s %16s  %s\n' "rescue scan" "$mr" "$mrc" "$per_fs" "$rescue_sys" "$runs_r"
printf '%-14s %10s %10s %12s %16s  %s\n' "os-prober" "$mo" "$moc" "$per_fs_o" "$os_linux" "$runs_o"
echo
echo "rescue scan is ${ratio}x faster than os-prober (wall time; ${cratio}x less CPU)"
echo "CPU per filesystem probed: $per_fs ms (rescue scan, $nfs filesystems)"
if [ "$rescue_sys" = "$os_linux" ]; then
	echo "systems found: both tools found $rescue_sys"
else
	echo "systems found: rescue scan $rescue_sys, os-prober $os_linux (differences below)"
fi
if [ "$nfs_err" != 0 ]; then
	echo "rescue scan could not mount $nfs_err filesystem(s):"
	jq -r '.devices[] | select(.usage == "filesystem" and .error != null) | "  \(.name): \(.error)"' "$TMP/rescue.json"
fi
[ "$os_all" = "$os_linux" ] || echo "os-prober also listed $((os_all - os_linux)) non-Linux entries"

# Per image: the partitions where each tool found a system.
echo
printf '  %-24s %-22s %s\n' image "rescue scan" "os-prober"
for img in "${images[@]}"; do
	b=$(basename "$img" .img)
	rs=
	while read -r dev subvol _; do
		if [ "${dev%%.img:*}" = "$b" ]; then
			rs+="${dev##*:}"
			if [ "$subvol" != - ]; then rs+="[$subvol]"; fi
			rs+=" "
		fi
	done <"$TMP/rescue.systems"
	os=
	while IFS=: read -r dev _; do
		if [ "${owner[$dev]:-}" = "$b" ]; then os+="p${dev##*p} "; fi
	done <"$TMP/osprober.out"
	printf '  %-24s %-22s %s\n' "$b" "${rs:--}" "${os:--}"
done
if [ -n "$others" ]; then
	echo
	echo "note: os-prober also examined partitions outside the benchmark: $(echo $others)"
fi
