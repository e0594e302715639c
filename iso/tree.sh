#!/bin/bash
# Print the path of a cached tarball holding the rescue environment's Debian
# tree (packages.list), building it with mmdebstrap when missing. The cache
# key is a hash of packages.list and of this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${RESCUE_CACHE:-/var/cache/rescue-dev}/iso
key=$(cat "$here/packages.list" "$0" | sha256sum | cut -c1-16)
out=$cache/rescue-tree-$key.tar
if [ -s "$out" ]; then echo "$out"; exit 0; fi
command -v mmdebstrap >/dev/null || { echo "tree.sh: mmdebstrap missing: run tools/install-deps.sh" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "tree.sh: building the rescue tree needs root" >&2; exit 1; }
mkdir -p "$cache"
pkgs=$(sed 's/#.*//' "$here/packages.list" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
exec 9>"$out.lock"
flock 9
if [ ! -s "$out" ]; then
	echo "tree.sh: building the rescue tree ($key), about 2 minutes" >&2
	# INITRD=No: the kernel package's hooks skip building an initramfs for
	# the tree itself; the rescue image is its own initramfs.
	INITRD=No mmdebstrap --quiet --variant=essential --include="$pkgs" \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/lintian/*' \
		--format=tar bookworm "$out.tmp" >&2
	mv "$out.tmp" "$out"
fi
echo "$out"
