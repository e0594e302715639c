# Helpers for test scripts: source it. Tests exit 0 (pass), 77 (skipped,
# the reason printed last) or anything else (fail).
set -euo pipefail
export LVM_SUPPRESS_FD_WARNINGS=1

skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (loop devices and mounts)"; }
need_cmd() { for c; do command -v "$c" >/dev/null || fail "missing command $c: run 'make deps' as root"; done; }

# assert_jq FILE FILTER EXPECTED [what]: jq -r FILTER on FILE must print EXPECTED.
assert_jq() {
	local got
	got=$(jq -r "$2" "$1") || fail "jq '$2' failed on $1"
	[ "$got" = "$3" ] || fail "${4:-$2}: expected '$3', got '$got'"
	echo "ok: ${4:-$2} = $3"
}

_test_loops=() _test_mounts=() _test_dirs=()
# test_release: unmount and detach what the test made so far (keeping files).
test_release() {
	local i
	for ((i = ${#_test_mounts[@]} - 1; i >= 0; i--)); do umount -l "${_test_mounts[i]}" 2>/dev/null || true; done
	for l in "${_test_loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
	_test_mounts=() _test_loops=()
}
test_cleanup() {
	test_release
	# --one-file-system: never delete into something still mounted.
	for d in "${_test_dirs[@]}"; do rm -rf --one-file-system "$d"; done
}
trap test_cleanup EXIT

tmpdir() { REPLY=$(mktemp -d "${TMPDIR:-/tmp}/rescue-test.XXXXXX"); _test_dirs+=("$REPLY"); }
# These set REPLY instead of printing, so that what they attach or mount is
# recorded in this shell (a $(...) subshell would lose it) and cleaned up.
# loop_part IMAGE N: attach partition N of IMAGE as its own loop device
# (this kernel may have no partition support).
loop_part() {
	local start size
	read -r start size < <(sfdisk -J "$1" | jq -r ".partitiontable.partitions[$(($2 - 1))] | \"\(.start) \(.size)\"")
	REPLY=$(losetup -f --show -o $((start * 512)) --sizelimit $((size * 512)) "$1")
	_test_loops+=("$REPLY")
}
loop_file() { REPLY=$(losetup -f --show "$@"); _test_loops+=("$REPLY"); }
# open_img IMAGE: root (partition 2) and /boot (partition 1) of a copy of
# the demo disk mounted at $m; K is its newest kernel. test_release undoes it.
open_img() {
	loop_part "$1" 2; mount_tmp $REPLY; m=$REPLY
	loop_part "$1" 1; mount $REPLY $m/boot; _test_mounts+=("$m/boot")
	K=$(cd $m/boot && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
}
mount_tmp() {
	local d; d=$(mktemp -d "${TMPDIR:-/tmp}/rescue-test.XXXXXX"); _test_dirs+=("$d")
	mount "$@" "$d"; _test_mounts+=("$d"); REPLY=$d
}

# mini_root DIR ID VERSION_ID KVER: a small tree shaped like an installed system.
mini_root() {
	local d=$1 id=$2 ver=$3 k=$4
	mkdir -p "$d/etc" "$d/boot" "$d/usr/lib/modules/$k/kernel/drivers" "$d/usr/bin" "$d/usr/sbin"
	ln -sfn usr/lib "$d/lib"
	printf 'NAME="%s"\nID=%s\nVERSION_ID="%s"\nPRETTY_NAME="%s %s"\n' "$id" "$id" "$ver" "$id" "$ver" > "$d/etc/os-release"
	head -c 4096 /dev/urandom > "$d/boot/vmlinuz-$k"
	echo "modules placeholder" > "$d/usr/lib/modules/$k/kernel/drivers/placeholder"
}
