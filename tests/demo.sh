#!/bin/bash
# make demo: build (once, cached) a disk image holding a real Debian 12
# install made from Debian packages, then run `rescue scan` on it and show
# that the scan left the image byte for byte unchanged.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rescue=${RESCUE:-$top/${RESCUE_BUILD:-build}/rescue}
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root: it attaches loop devices and mounts read-only" >&2; exit 6; }
[ -x "$rescue" ] || { echo "no rescue binary at $rescue: run 'make' first" >&2; exit 1; }

img=$("$top/tests/lib/demo-disk.sh")
link=$(dirname "$img")/demo-debian12.img
ln -sf "$(basename "$img")" "$link"

echo "== The demo disk: $link"
echo "   an MBR disk with a real Debian 12 install: ext4 /boot, ext4 root, swap."
before=$(sha256sum < "$img")
echo
echo "== rescue scan --image $link"
set +e
"$rescue" scan --image "$link"
rc=$?
set -e
after=$(sha256sum < "$img")
echo
echo "rescue scan exited with $rc (docs/exit-codes.md)."
if [ "$before" = "$after" ]; then
	echo "The image is unchanged (sha256 before and after are equal): the scan is read-only."
else
	echo "ERROR: the image changed during the scan" >&2
	exit 1
fi
echo "Try also: $rescue scan --image $link --json"
exit $rc
