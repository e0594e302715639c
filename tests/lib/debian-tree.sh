#!/bin/bash
# Print the path of a cached tarball holding a Debian tree built from
# tests/lib/recipes/NAME.recipe, building it with mmdebstrap when missing.
#
# The cache lives outside the source tree (RESCUE_CACHE, default
# /var/cache/rescue-dev) and each tarball is keyed by a hash of its recipe
# and of this script, so editing either rebuilds it and nothing stale is used.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: debian-tree.sh RECIPE-NAME}
recipe=$here/recipes/$name.recipe
[ -f "$recipe" ] || { echo "debian-tree: no recipe $recipe" >&2; exit 2; }

cache=${RESCUE_CACHE:-/var/cache/rescue-dev}/trees
key=$(cat "$recipe" "$0" | sha256sum | cut -c1-16)
out=$cache/$name-$key.tar
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi

command -v mmdebstrap >/dev/null || { echo "debian-tree: mmdebstrap missing: run tools/install-deps.sh" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "debian-tree: building $name needs root" >&2; exit 1; }
mkdir -p "$cache"

SUITE=bookworm PACKAGES="" COMPONENTS=main
# shellcheck disable=SC1090
. "$recipe"
include=$(echo $PACKAGES | tr ' ' ',')

echo "debian-tree: building $name ($key), about 2 minutes" >&2
# Serialise builders of the same tree; others wait for the result.
exec 9>"$out.lock"
flock 9
if [ ! -s "$out" ]; then
	# An empty machine-id makes systemd-firstboot prompt on the first boot;
	# a fixed one keeps the tarball reproducible enough to cache.
	mmdebstrap --quiet --variant=apt --components="$COMPONENTS" \
		--include="$include" \
		--customize-hook='chroot "$1" systemd-machine-id-setup >/dev/null 2>&1 || true' \
		--format=tar "$SUITE" "$out.tmp" >&2
	mv "$out.tmp" "$out"
fi
echo "$out"
