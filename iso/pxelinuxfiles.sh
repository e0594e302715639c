#!/bin/bash
# Print the path of a cached directory holding PXELINUX, the BIOS network
# boot loader of the TFTP root, exactly as Debian packages it:
#   pxelinux.0    the loader the firmware's PXE fetches (pxelinux)
#   ldlinux.c32   its core module, fetched by pxelinux.0 from beside it
#                 (syslinux-common)
#   versions      the package versions used
# Kept apart from bootfiles.sh so that the ISO, which does not carry these,
# is not rebuilt when they change. Same scheme: the packages come from the
# host's apt sources, the cache key is a hash of this script.
set -euo pipefail
cache=${RESCUE_CACHE:-/var/cache/rescue-dev}/iso
key=$(sha256sum < "$0" | cut -c1-16)
out=$cache/pxelinux-$key
if [ -s "$out/versions" ]; then echo "$out"; exit 0; fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
	|| { echo "pxelinuxfiles.sh: apt-get and dpkg-deb are needed (Debian host)" >&2; exit 1; }
mkdir -p "$cache"
exec 9>"$out.lock"
flock 9
if [ ! -s "$out/versions" ]; then
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/rescue-pxelinux.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	# apt's download user cannot write into a root-only temporary directory.
	chmod 0755 "$work"
	pkgs="pxelinux syslinux-common"
	(cd "$work" && apt-get download -q $pkgs) >&2 \
		|| { echo "pxelinuxfiles.sh: apt-get download $pkgs failed (apt-get update first?)" >&2; exit 1; }
	mkdir -p "$work/x" "$work/out"
	for d in "$work"/*.deb; do dpkg-deb -x "$d" "$work/x"; done
	cp "$work/x/usr/lib/PXELINUX/pxelinux.0" "$work/out/pxelinux.0"
	cp "$work/x/usr/lib/syslinux/modules/bios/ldlinux.c32" "$work/out/ldlinux.c32"
	for d in "$work"/*.deb; do dpkg-deb -f "$d" Package Version | sed "s/^[^:]*: //" | paste -sd" "; done \
		| sort > "$work/out/versions"
	rm -rf "$out"
	mv "$work/out" "$out"
fi
echo "$out"
