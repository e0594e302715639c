#!/bin/bash
# Print the path of a cached directory holding the UEFI boot chain of the
# medium, Debian's signed binaries exactly as packaged:
#   shimx64.efi   shim, signed by Microsoft's UEFI CA (shim-signed)
#   mmx64.efi     shim's MOK manager (shim-helpers-amd64-signed)
#   gcdx64.efi    GRUB's CD/removable-media build, signed by Debian
#                 (grub-efi-amd64-signed); finds /.disk/info, reads /boot/grub
#   grubnetx64.efi GRUB's network build, for UEFI PXE
#   versions      the package versions used
# The packages come from the host's apt sources (apt-get download); the
# cache key is a hash of this script, so the versions stay fixed until the
# cache entry is removed or this script changes.
set -euo pipefail
cache=${RESCUE_CACHE:-/var/cache/rescue-dev}/iso
key=$(sha256sum < "$0" | cut -c1-16)
out=$cache/bootfiles-$key
if [ -s "$out/versions" ]; then echo "$out"; exit 0; fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
	|| { echo "bootfiles.sh: apt-get and dpkg-deb are needed (Debian host)" >&2; exit 1; }
mkdir -p "$cache"
exec 9>"$out.lock"
flock 9
if [ ! -s "$out/versions" ]; then
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/rescue-bootfiles.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	# apt's download user cannot write into a root-only temporary directory.
	chmod 0755 "$work"
	pkgs="shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed"
	(cd "$work" && apt-get download -q $pkgs) >&2 \
		|| { echo "bootfiles.sh: apt-get download $pkgs failed (apt-get update first?)" >&2; exit 1; }
	mkdir -p "$work/x" "$work/out"
	for d in "$work"/*.deb; do dpkg-deb -x "$d" "$work/x"; done
	cp "$work/x/usr/lib/shim/shimx64.efi.signed" "$work/out/shimx64.efi"
	cp "$work/x/usr/lib/shim/mmx64.efi.signed" "$work/out/mmx64.efi"
	cp "$work/x/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed" "$work/out/gcdx64.efi"
	cp "$work/x/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed" "$work/out/grubnetx64.efi"
	for d in "$work"/*.deb; do dpkg-deb -f "$d" Package Version | sed "s/^[^:]*: //" | paste -sd" "; done \
		| sort > "$work/out/versions"
	rm -rf "$out"
	mv "$work/out" "$out"
fi
echo "$out"
