#!/bin/bash
# make demo: the main job of rescue on a real Debian 12 install, with every
# step explained. On a copy of the cached demo disk (plain ext4, so no
# device-mapper is needed on this host) the default kernel's initramfs is
# broken (truncated, as a full /boot or an interrupted update leaves it);
# then, each with --explain:
#   rescue scan                     what is there (read-only: the disk's sha256 does not move)
#   rescue diagnose                 why it does not boot
#   rescue fix --dry-run            the repair as a shell script a person could run
#   rescue fix --yes                the repair: the install's own dracut in a chroot
#   rescue diagnose                 clean again
#   rescue undo                     back to the broken bytes (sha256 of /boot compared)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rescue=${RESCUE:-$top/${RESCUE_BUILD:-build}/rescue}
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root: it attaches loop devices and mounts" >&2; exit 6; }
[ -x "$rescue" ] || { echo "no rescue binary at $rescue: run 'make' first" >&2; exit 1; }
for c in sfdisk jq losetup; do
	command -v $c >/dev/null || { echo "make demo needs $c: run 'make deps'" >&2; exit 1; }
done

img=$("$top/tests/lib/demo-disk.sh")
work=$(mktemp -d /var/tmp/rescue-demo.XXXXXX)
loops=() mnts=()
cleanup() {
	for ((i = ${#mnts[@]} - 1; i >= 0; i--)); do umount "${mnts[i]}" 2>/dev/null || umount -l "${mnts[i]}" 2>/dev/null || true; done
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
disk=$work/demo-debian12.img
step() { printf '\n\033[1m#### %s\033[0m\n' "$*"; }
run() { printf '\033[1m$ %s\033[0m\n' "$*"; set +e; "$@"; rc=$?; set -e; echo "(exit $rc)"; }

# /boot of the copy, mounted at $work/boot while $1 runs (a command string).
with_boot() {
	local start size dev
	read -r start size < <(sfdisk -J "$disk" | jq -r '.partitiontable.partitions[0] | "\(.start) \(.size)"')
	dev=$(losetup -f --show -o $((start * 512)) --sizelimit $((size * 512)) "$disk"); loops+=("$dev")
	mkdir -p "$work/boot"; mount "$dev" "$work/boot"; mnts+=("$work/boot")
	eval "$1"
	umount "$work/boot"; unset 'mnts[-1]'
	losetup -d "$dev"; unset 'loops[-1]'
}
boot_sums() { (cd "$work/boot" && find . -type f ! -path './lost+found/*' | sort | xargs sha256sum); }

step "A copy of the demo disk: an MBR disk with a real Debian 12 install (ext4 /boot, ext4 root, swap)"
cp --sparse=always "$img" "$disk"
K=
with_boot 'K=$(cd "$work/boot" && ls vmlinuz-* | sed "s/^vmlinuz-//" | sort -V | tail -n 1)
	echo "Breaking it: /boot/initrd.img-$K truncated to a third of its size (what a full /boot or an"
	echo "interrupted kernel update leaves behind)."
	size=$(stat -c %s "$work/boot/initrd.img-$K")
	truncate -s $((size / 3)) "$work/boot/initrd.img-$K"
	boot_sums > "$work/broken.sums"'

step "1. What is on the disk (read-only)"
before=$(sha256sum < "$disk")
run "$rescue" scan --image "$disk"
[ "$before" = "$(sha256sum < "$disk")" ] && echo "The disk image is byte for byte unchanged: the scan only reads."

step "2. Why it does not boot"
run "$rescue" --explain diagnose --image "$disk"
[ "$rc" = 20 ] || { echo "demo: diagnose should have found the broken image (exit 20), got $rc" >&2; exit 1; }

step "3. The repair plan, as a script a person could run (nothing is changed)"
run "$rescue" fix --dry-run --image "$disk"
[ "$before" = "$(sha256sum < "$disk")" ] && echo "The disk image is still unchanged."

step "4. The repair: the system's own dracut in a chroot, every replaced file journaled"
run "$rescue" --explain fix --yes --image "$disk"
[ "$rc" = 0 ] || { echo "demo: the repair should have succeeded (exit 0), got $rc" >&2; exit 1; }

step "5. Diagnose again"
run "$rescue" diagnose --image "$disk"
[ "$rc" = 0 ] || [ "$rc" = 21 ] || { echo "demo: errors remain after the repair (exit $rc)" >&2; exit 1; }

step "6. Undo: the journal puts back the files the repair replaced"
run "$rescue" --explain undo --image "$disk"
[ "$rc" = 0 ] || { echo "demo: undo failed (exit $rc)" >&2; exit 1; }
with_boot 'boot_sums > "$work/undone.sums"'
if cmp -s "$work/broken.sums" "$work/undone.sums"; then
	echo "Every file of /boot is byte for byte as before the repair (sha256 compared): the undo is exact."
else
	echo "demo: /boot after undo differs from the broken state:" >&2
	diff "$work/broken.sums" "$work/undone.sums" >&2 || true
	exit 1
fi
echo
echo "The demo disk is cached at $img; rescue(8) explains every verb."
