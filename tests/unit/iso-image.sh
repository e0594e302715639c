#!/bin/bash
# The rescue image's initramfs (iso/build-image.sh): a small first stage and
# the userland as one squashfs image. Checks on the built image (skipped
# when none is built): what the first stage needs is there (busybox and
# its applets that early-init calls, the modules it loads in an order that
# puts dependencies first), /.rescue-complete is the archive's last entry
# (what tells a short unpack), the outer archive is not compressed again,
# and the squashfs image holds the environment's own /init and rescue.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
sh -n "$top/iso/early-init" || { echo "FAIL: iso/early-init does not parse"; exit 1; }
img=$top/build/rescue-image/initrd.img
[ -f "$img" ] || { echo "no rescue image built ($img): skipped"; exit 77; }
command -v unsquashfs >/dev/null && command -v cpio >/dev/null || { echo "cpio or unsquashfs missing: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ "$(head -c 6 "$img")" = 070701 ] || { echo "FAIL: the initramfs is not a plain newc cpio archive"; exit 1; }
cpio -t --quiet < "$img" > "$tmp/list"
[ "$(tail -n 1 "$tmp/list")" = .rescue-complete ] || { echo "FAIL: .rescue-complete is not the last entry"; exit 1; }
for f in init bin/busybox bin/sh rescue.sqfs dev/console lib/modules/early.order; do
	grep -qx "$f" "$tmp/list" || { echo "FAIL: the initramfs lacks /$f"; exit 1; }
done
(cd "$tmp" && cpio -i --quiet -d init 'bin/*' 'lib/modules/*' rescue.sqfs < "$img")
# Every command early-init runs is a busybox applet linked in bin/ (or a
# shell builtin).
# A command: the first word of a line (after exec), or after &&, ||, | or $( (comments
# and quoted messages left out).
found=""
for c in $(sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' -e '/^[[:space:]]*#/d' -e 's/"[^"$]*"//g' "$tmp/init" \
		| grep -o -E '(^[[:space:]]*(exec +)?|&& *|\|\| *|\| *|\$\()[a-z_]+=?' | grep -v '=$' | grep -o -E '[a-z_]+$' | sort -u); do
	case $c in if|then|else|fi|for|in|do|done|case|esac|while|exec|export|echo|read|stop|say) continue ;; esac
	found="$found $c"
	[ -L "$tmp/bin/$c" ] || { echo "FAIL: early-init runs $c, which is not linked in the initramfs's bin/"; exit 1; }
done
# The modules early-init loads are all there, loop, squashfs and overlay
# among them.
for m in loop.ko squashfs.ko overlay.ko; do
	grep -qx "$m" "$tmp/lib/modules/early.order" || { echo "FAIL: early.order lacks $m"; exit 1; }
done
while read -r m; do
	[ -f "$tmp/lib/modules/$m" ] || { echo "FAIL: early.order names $m, not in the initramfs"; exit 1; }
done < "$tmp/lib/modules/early.order"
unsquashfs -l "$tmp/rescue.sqfs" > "$tmp/sqlist"
for f in init usr/sbin/rescue usr/lib/systemd/systemd-udevd; do
	grep -qx "squashfs-root/$f" "$tmp/sqlist" || { echo "FAIL: the squashfs image lacks /$f"; exit 1; }
done
echo "early-init runs:$found"
echo "initramfs: $(grep -c . "$tmp/list") entries, .rescue-complete last; modules $(tr '\n' ' ' < "$tmp/lib/modules/early.order")in order; image of $(grep -c . "$tmp/sqlist") paths with /init and rescue"
