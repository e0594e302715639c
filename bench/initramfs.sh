#!/bin/bash
# Benchmark of the initramfs reader on the full generic dracut image (gzip,
# and the same image with its main cpio recompressed with zstd), all in
# one run so the ratios compare like with like:
#   rescue initramfs ls       vs lsinitrd (must be >= 5x faster)
#   rescue initramfs ls       vs skipcpio | zcat, skipcpio | zstdcat (<= 1.2x)
#   rescue initramfs verify   vs one ls (must be <= 1.5x)
#   peak RSS of ls and verify (must be < 64 MiB)
# Each time is the best of 3 runs. Exit 1 if a target is missed.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
RESCUE=${RESCUE:-$src/${RESCUE_BUILD:-build}/rescue}
[ -x "$RESCUE" ] || { echo "bench: no $RESCUE (make first)" >&2; exit 1; }
dir=${RESCUE_INITRAMFS_IMAGES:-$(bash "$src/tests/lib/initramfs-images.sh")}
gz=$dir/dracut-generic-gzip.img
zs=$dir/dracut-generic-zstd.img
root=$dir/root-dracut
skipcpio=/usr/lib/dracut/skipcpio
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT

# Best of 3 runs, as "wall cpu" seconds (cpu = user + system of the
# command and its children). The targets are judged on CPU time, which a
# busy shared machine disturbs far less than wall time; both are printed.
best() {
	local i out bw=999999 bc=999999 w c
	for i in 1 2 3; do
		/usr/bin/time -o "$timing" -f "%e %U %S" "$@" >/dev/null 2>&1 || true
		out=$(tail -n 1 "$timing")
		w=$(echo "$out" | awk '{ print $1 }')
		c=$(echo "$out" | awk '{ print $2 + $3 }')
		bw=$(awk -v a="$w" -v b="$bw" 'BEGIN { print (a < b) ? a : b }')
		bc=$(awk -v a="$c" -v b="$bc" 'BEGIN { print (a < b) ? a : b }')
	done
	echo "$bw $bc"
}
rss() { # command...: peak RSS in KiB
	/usr/bin/time -o "$timing" -f %M "$@" >/dev/null 2>&1 || true
	tail -n 1 "$timing"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

bare_gz=(sh -c "$skipcpio '$gz' | zcat")
bare_zs=(sh -c "$skipcpio '$zs' | zstdcat")

fail=0
check() { # description, ok(0/1)
	if [ "$2" -eq 1 ]; then echo "  ok    $1"; else echo "  FAIL  $1"; fail=1; fi
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' && echo 1 || echo 0; }

echo "initramfs benchmark: $(stat -c %s "$gz") bytes gzip, $(stat -c %s "$zs") bytes zstd, $(nproc) CPUs"
for c in gzip zstd; do
	if [ $c = gzip ]; then img=$gz bare=("${bare_gz[@]}"); else img=$zs bare=("${bare_zs[@]}"); fi
	read -r w_ls c_ls <<<"$(best "$RESCUE" initramfs ls "$img")"
	read -r w_lsinitrd c_lsinitrd <<<"$(best lsinitrd "$img")"
	read -r w_bare c_bare <<<"$(best "${bare[@]}")"
	read -r w_verify c_verify <<<"$(best "$RESCUE" initramfs verify "$img" --root "$root")"
	m_ls=$(rss "$RESCUE" initramfs ls "$img")
	m_verify=$(rss "$RESCUE" initramfs verify "$img" --root "$root")
	echo
	echo "$c (wall s / cpu s): rescue ls $w_ls/$c_ls, lsinitrd $w_lsinitrd/$c_lsinitrd," \
		"bare decompressor $w_bare/$c_bare, rescue verify $w_verify/$c_verify"
	echo "$c ratios (wall / cpu): lsinitrd/ls $(ratio "$w_lsinitrd" "$w_ls")/$(ratio "$c_lsinitrd" "$c_ls")," \
		"ls/bare $(ratio "$w_ls" "$w_bare")/$(ratio "$c_ls" "$c_bare")," \
		"verify/ls $(ratio "$w_verify" "$w_ls")/$(ratio "$c_verify" "$c_ls");" \
		"peak RSS: ls $((m_ls / 1024)) MiB, verify $((m_verify / 1024)) MiB"
	check "$c: ls at least 5x faster than lsinitrd" "$(le "$(awk -v a="$c_ls" 'BEGIN{print a*5}')" "$c_lsinitrd")"
	check "$c: ls within 1.2x of the bare decompressor" "$(le "$c_ls" "$(awk -v a="$c_bare" 'BEGIN{print a*1.2}')")"
	check "$c: verify within 1.5x of ls" "$(le "$c_verify" "$(awk -v a="$c_ls" 'BEGIN{print a*1.5}')")"
	check "$c: ls peak RSS under 64 MiB" "$(le "$m_ls" 65536)"
	check "$c: verify peak RSS under 64 MiB" "$(le "$m_verify" 65536)"
done
exit $fail
