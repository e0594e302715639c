#!/bin/bash
# The initramfs reader on real images (tests/lib/initramfs-images.sh):
# - every listing equals the reference tools' listing, entry for entry;
# - segments, compressions and early microcode are reported right;
# - cat and extract give the bytes cpio gives;
# - broken images (cut at many offsets, bit flips, zeroed bytes, wrong
#   magic) fail with exit 5 and a message, never a crash (RESCUE is the
#   sanitizer build in `make check`).
set -u
[ "$(id -u)" -eq 0 ] || { echo "needs root to build the images (chroot)"; exit 77; }
for t in lsinitrd cpio zstd; do
	command -v $t >/dev/null || { echo "$t not installed"; exit 77; }
done
dir=$(bash "$RESCUE_SRC/tests/lib/initramfs-images.sh") || { echo "could not build the initramfs images"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 1. Listings, entry for entry.
n=0
for img in "$dir"/*.img; do
	name=$(basename "$img" .img)
	ref=$dir/$name.ref
	[ -f "$ref" ] || continue
	"$RESCUE" initramfs ls --plain "$img" >"$tmp/ours" 2>"$tmp/err" || { bad "$name: exit $?: $(cat "$tmp/err")"; continue; }
	LC_ALL=C sort "$tmp/ours" >"$tmp/ours.sorted"
	if cmp -s "$tmp/ours.sorted" "$ref"; then
		echo "ok: $name: $(wc -l <"$ref") entries equal the reference listing"
	else
		bad "$name: listing differs from the reference"
		diff "$tmp/ours.sorted" "$ref" | head -n 10
	fi
	n=$((n + 1))
done
[ "$n" -ge 10 ] || bad "only $n images with a reference listing"
[ -e "$dir/hostonly.skip" ] && echo "note: $(cat "$dir/hostonly.skip")"

# 2. Segment summaries.
seg() { # image: "compression:entries:microcode" per segment
	"$RESCUE" initramfs ls --json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s:%d:%d" % (s["compression"], s["entries"], s["early_microcode"]) for s in d["segments"]))'
}
got=$(seg "$dir/multi-segment.img")
case $got in
"none:"*" gzip:"*" zstd:"*" xz:"*" bzip2:"*" lzma:"*" lzo:"*" lz4:"*) echo "ok: multi-segment: $got" ;;
*) bad "multi-segment segments: $got" ;;
esac
got=$(seg "$dir/mkinitramfs.img")
case $got in
"none:"*":1 gzip:"*|"none:"*":1 zstd:"*) echo "ok: mkinitramfs: early microcode archives, then the main one: $got" ;;
*) bad "mkinitramfs segments: $got" ;;
esac
case $(seg "$dir/dracut-ucode-gzip.img") in
"none:"*":1 gzip:"*) echo "ok: dracut early microcode, then gzip" ;;
*) bad "dracut ucode segments: $(seg "$dir/dracut-ucode-gzip.img")" ;;
esac
got=$(seg "$dir/grub-concat.img")
case $got in
"none:"*":1 gzip:"*" xz:"*) echo "ok: GRUB concatenation: $got" ;;
*) bad "grub-concat segments: $got" ;;
esac

# 3. cat and extract give what cpio gives.
f=usr/lib/initrd-release
lsinitrd -f "$f" "$dir/dracut-zstd.img" >"$tmp/ref-cat" 2>/dev/null
"$RESCUE" initramfs cat "$dir/dracut-zstd.img" "$f" >"$tmp/our-cat" || bad "cat $f: exit $?"
[ -s "$tmp/ref-cat" ] && cmp -s "$tmp/ref-cat" "$tmp/our-cat" && echo "ok: cat $f" || bad "cat $f differs"
mkdir "$tmp/ours-x" "$tmp/ref-x"
"$RESCUE" initramfs extract "$dir/dracut-zstd.img" "$tmp/ours-x" || bad "extract: exit $?"
(cd "$tmp/ref-x" && zstdcat "$dir/dracut-zstd.img" | cpio -id --quiet --no-absolute-filenames 2>/dev/null)
# Same paths, types, modes, sizes, link targets and device numbers, and
# the same bytes in every regular file.
tree() {
	(cd "$1" && find . -printf '%P %y %m %s %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | xargs -0 -r sha256sum | LC_ALL=C sort &&
		find . \( -type c -o -type b \) -exec stat -c '%n %t:%T' {} + | LC_ALL=C sort)
}
if diff <(tree "$tmp/ref-x") <(tree "$tmp/ours-x") >"$tmp/diff" 2>&1; then
	echo "ok: extract equals cpio -id ($(find "$tmp/ours-x" | wc -l) paths)"
else
	bad "extract differs from cpio -id"
	head -n 10 "$tmp/diff"
fi
rm -rf "$tmp/ours-x" "$tmp/ref-x"

# 4. Broken images: exit 5 and a message, never a crash.
expect_bad() { # label, image, [words]
	"$RESCUE" initramfs ls "$2" >/dev/null 2>"$tmp/err"
	local rc=$?
	if [ $rc -ne 5 ]; then
		bad "$1: exit $rc, expected 5"
		tail -n 5 "$tmp/err"
	elif [ -n "${3:-}" ] && ! grep -q "$3" "$tmp/err"; then
		bad "$1: message lacks '$3': $(cat "$tmp/err")"
	fi
}
for src in dracut-ucode-gzip dracut-zstd dracut-xz dracut-lz4 mkinitramfs; do
	img=$dir/$src.img
	size=$(stat -c %s "$img")
	# A cut inside the last segment always breaks it; the first few
	# offsets fall in headers, the rest across the data.
	for cut in 1 7 50 111 500 4093 $((size / 7)) $((size / 3)) $((size / 2)) $((size - 5000)) $((size - 3)); do
		[ "$cut" -lt "$size" ] || continue
		head -c "$cut" "$img" >"$tmp/cut.img"
		"$RESCUE" initramfs ls "$tmp/cut.img" >/dev/null 2>"$tmp/err"
		rc=$?
		# lz4 has no end marker: a cut at a block boundary is a valid
		# shorter stream, which then must end inside a member.
		[ $rc -eq 5 ] || { bad "$src cut at $cut: exit $rc"; tail -n 3 "$tmp/err"; }
	done
	echo "ok: $src cut at 11 offsets: exit 5 each"
done
cp "$dir/dracut-gzip.img" "$tmp/flip.img"
size=$(stat -c %s "$tmp/flip.img")
for at in 0 1 3 20 $((size / 2)) $((size - 6)); do
	cp "$dir/dracut-gzip.img" "$tmp/flip.img"
	byte=$(od -An -tu1 -j "$at" -N1 "$tmp/flip.img" | tr -d ' ')
	printf "$(printf '\\%03o' $((byte ^ 0x10)))" | dd of="$tmp/flip.img" bs=1 seek="$at" conv=notrunc status=none
	"$RESCUE" initramfs ls "$tmp/flip.img" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 5 ] || [ $rc -eq 0 ] || { bad "bit flip at $at: exit $rc"; tail -n 3 "$tmp/err"; }
	grep -q "AddressSanitizer\|runtime error" "$tmp/err" && bad "bit flip at $at: sanitizer report"
done
echo "ok: bit flips"
cp "$dir/dracut-zstd.img" "$tmp/zero.img"
dd if=/dev/zero of="$tmp/zero.img" bs=1 seek=4096 count=4096 conv=notrunc status=none
expect_bad "zeroed bytes" "$tmp/zero.img" "corrupt zstd data\|junk within compressed archive"
{ printf 'XX'; cat "$dir/dracut-gzip.img"; } >"$tmp/magic.img"
expect_bad "wrong magic" "$tmp/magic.img" "invalid magic at start of compressed archive"
(cd "$tmp" && mkdir -p odc/etc && echo x >odc/etc/x && (cd odc && find . | cpio -o -H odc --quiet) >odc.img)
expect_bad "odc archive" "$tmp/odc.img" "use -H newc option"
{ cat "$dir/dracut-zstd.img"; printf 'trailing junk'; } >"$tmp/junk.img"
expect_bad "junk after a segment" "$tmp/junk.img" "invalid magic"
head -c 300M /dev/zero | zstd -q -c >"$tmp/bomb.img"
expect_bad "decompression bomb (300 MiB of zeros in 10 KB)" "$tmp/bomb.img" "decompression bomb"
echo "ok: broken images rejected with named errors"

exit $fail
