#!/bin/bash
# Benchmark of rescue --auto's own overhead: the same repair (catalogue 2,
# the default kernel's initramfs missing) on copies of the demo disk (a
# real Debian 12 install, plain ext4 on this host), done twice in one run:
#   manual  what a person types: loop devices, mount root and /boot, the
#           API filesystems, chroot dracut --force --kver K, unmount
#   rescue  rescue --auto --image DISK (scan, mount, check, diagnose with
#           the initramfs verifier, plan, journal, the same dracut, verify,
#           teardown)
# For each: the whole time, the generator's share (dracut's own run) and
# the rest; then rescue's overhead beyond the generator and its ratio to
# the manual procedure's. Also the number of device scans of the rescue
# run (the report's device_scans). Prints figures; fails only when a run
# fails.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
RESCUE=${RESCUE:-$src/${RESCUE_BUILD:-build}/rescue}
[ -x "$RESCUE" ] || { echo "bench: no $RESCUE (make first)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench/auto.sh needs root (loop devices, mounts)" >&2; exit 1; }
img=$("$src/tests/lib/demo-disk.sh")
w=$(mktemp -d /var/tmp/rescue-bench-auto.XXXXXX)
loops=() mnts=()
cleanup() {
	for ((i = ${#mnts[@]} - 1; i >= 0; i--)); do umount "${mnts[i]}" 2>/dev/null || umount -l "${mnts[i]}" 2>/dev/null || true; done
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$w"
}
trap cleanup EXIT
now() { date +%s.%N; }
part() { # DISK N -> loop device of partition N
	local start size
	read -r start size < <(sfdisk -J "$1" | jq -r ".partitiontable.partitions[$(($2 - 1))] | \"\(.start) \(.size)\"")
	losetup -f --show -o $((start * 512)) --sizelimit $((size * 512)) "$1"
}
broken_copy() { # NAME: a copy with the default kernel's initramfs removed; sets K
	cp --sparse=always "$img" "$w/$1.img"
	local b; b=$(part "$w/$1.img" 1); loops+=("$b")
	mkdir -p "$w/m"; mount "$b" "$w/m"; mnts+=("$w/m")
	K=$(cd "$w/m" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
	rm "$w/m/initrd.img-$K"
	umount "$w/m"; unset 'mnts[-1]'; losetup -d "$b"; unset 'loops[-1]'
}

# --- manual ---
broken_copy manual
t0=$(now)
r=$(part "$w/manual.img" 2); loops+=("$r")
b=$(part "$w/manual.img" 1); loops+=("$b")
R=$w/root; mkdir -p "$R"
mount "$r" "$R"; mnts+=("$R")
mount "$b" "$R/boot"; mnts+=("$R/boot")
for d in proc sys dev dev/pts run; do mount --bind "/$d" "$R/$d"; mnts+=("$R/$d"); done
g0=$(now)
chroot "$R" dracut --force --kver "$K" "/boot/initrd.img-$K" > "$w/manual-dracut.log" 2>&1
g1=$(now)
for ((i = ${#mnts[@]} - 1; i >= 0; i--)); do umount "${mnts[i]}"; done; mnts=()
for l in "${loops[@]}"; do losetup -d "$l"; done; loops=()
t1=$(now)

# --- rescue --auto ---
broken_copy rescue
a0=$(now)
"$RESCUE" --auto --image "$w/rescue.img" --report "$w/report.json" > "$w/auto.log" 2>&1 \
	|| { cat "$w/auto.log"; echo "bench: rescue --auto failed" >&2; exit 1; }
a1=$(now)
gen=$(jq '[.plan.actions[]? | .seconds // 0] | add // 0' "$w/report.json")
scans=$(jq '.device_scans' "$w/report.json")
[ "$(jq -r .outcome "$w/report.json")" = repaired ] || { echo "bench: not repaired" >&2; exit 1; }

awk -v t0="$t0" -v t1="$t1" -v g0="$g0" -v g1="$g1" -v a0="$a0" -v a1="$a1" -v gen="$gen" -v scans="$scans" -v k="$K" 'BEGIN {
	mt = t1 - t0; mg = g1 - g0; mo = mt - mg
	at = a1 - a0; ao = at - gen
	printf "catalogue 2 on the demo disk (kernel %s), dracut in a chroot on this host\n", k
	printf "%-34s %9s %11s %9s\n", "", "total s", "generator s", "other s"
	printf "%-34s %9.1f %11.1f %9.1f\n", "manual (mount, chroot dracut, umount)", mt, mg, mo
	printf "%-34s %9.1f %11.1f %9.1f\n", "rescue --auto", at, gen, ao
	printf "rescue --auto overhead beyond the generator: %.1f s (%.1fx the manual procedure'\''s %.1f s); %.0f%% of its run\n", ao, (mo > 0 ? ao / mo : 0), mo, (at > 0 ? 100 * ao / at : 0)
	printf "device scans in the rescue run: %d\n", scans
}'
