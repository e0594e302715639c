#!/bin/bash
# The rescue medium's boot menu: iso/menu.sh writes a grub.cfg that GRUB's
# own parser accepts (for the ISO and for the network), every layout the
# keyboard menu offers is one the rescue image carries (when an image was
# built), the serial line speed is one setting (9600 reachable), and
# every iPXE and PXELINUX entry (iso/pxemenu.sh) names the kernel and
# initrd, with the serial wizard at 115200 and at 9600.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v grub-script-check >/dev/null || { echo "grub-script-check missing (grub-common): skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dir in /rescue ""; do
	bash "$top/iso/menu.sh" "$dir" > "$tmp/grub.cfg"
	grub-script-check "$tmp/grub.cfg" || { echo "FAIL: grub-script-check rejects the menu for '$dir'"; exit 1; }
	for id in wizard serial auto shell keyboard speed; do
		grep -q -- "--id=$id" "$tmp/grub.cfg" || { echo "FAIL: no entry $id"; exit 1; }
	done
	grep -q "linux $dir/vmlinuz .*rescue.auto=1" "$tmp/grub.cfg" || { echo "FAIL: no rescue.auto=1 entry for '$dir'"; exit 1; }
	# One line speed for GRUB's terminal and every kernel console, chosen
	# in the speed menu (9600 by its hotkey).
	grep -q 'serial --unit=0 --speed=\$serial_speed' "$tmp/grub.cfg" || { echo "FAIL: GRUB's serial speed is not \$serial_speed"; exit 1; }
	if grep -E 'console=ttyS0,[0-9]' "$tmp/grub.cfg"; then echo "FAIL: an entry fixes the console speed"; exit 1; fi
	grep -A2 -- '--hotkey=9 ' "$tmp/grub.cfg" | grep -q 'set serial_speed=9600' || { echo "FAIL: no 9600 entry on hotkey 9"; exit 1; }
done
echo "menu: accepted by grub-script-check, for the ISO and for the network"
# iPXE and PXELINUX: every entry boots vmlinuz with initrd.img; the serial
# wizard at 115200 and at 9600; the iPXE menu names every entry file.
bash "$top/iso/pxemenu.sh" "$tmp/pxe" 0.0
names=$(sed -n 's/^LABEL //p' "$tmp/pxe/pxelinux.cfg/default")
[ "$(echo "$names" | wc -w)" -ge 5 ] || { echo "FAIL: PXELINUX has $(echo "$names" | wc -w) entries"; exit 1; }
for n in $names; do
	f=$tmp/pxe/$n.ipxe
	[ -f "$f" ] || { echo "FAIL: no $n.ipxe for PXELINUX's entry $n"; exit 1; }
	head -n 1 "$f" | grep -qx '#!ipxe' || { echo "FAIL: $n.ipxe is not an iPXE script"; exit 1; }
	grep -q '^kernel vmlinuz initrd=initrd.img ' "$f" && grep -qx 'initrd initrd.img' "$f" && grep -qx boot "$f" \
		|| { echo "FAIL: $n.ipxe does not boot vmlinuz with initrd.img"; exit 1; }
	grep -q "^item $n " "$tmp/pxe/rescue.ipxe" || { echo "FAIL: the iPXE menu lacks $n"; exit 1; }
	sed -n "/^LABEL $n\$/,/^LABEL /p" "$tmp/pxe/pxelinux.cfg/default" > "$tmp/label"
	grep -qx '  KERNEL vmlinuz' "$tmp/label" && grep -qx '  INITRD initrd.img' "$tmp/label" \
		|| { echo "FAIL: PXELINUX's $n does not boot vmlinuz with initrd.img"; exit 1; }
	[ "$(grep '^  APPEND ' "$tmp/label")" = "  APPEND $(sed -n 's/^kernel vmlinuz initrd=initrd.img \(.*\) ${rescue_args}$/\1/p' "$f")" ] \
		|| { echo "FAIL: $n: iPXE and PXELINUX pass different arguments"; exit 1; }
done
for speed in 115200 9600; do
	grep -l "console=ttyS0,$speed\$\|console=ttyS0,$speed " "$tmp/pxe/"*.ipxe | grep -q . \
		|| { echo "FAIL: no network entry with the wizard on ttyS0 at $speed"; exit 1; }
done
grep -q 'console=ttyS0,9600' "$tmp/pxe/serial9600.ipxe" || { echo "FAIL: serial9600 is not at 9600"; exit 1; }
echo "network menus: $(echo $names) in iPXE and PXELINUX, each vmlinuz with initrd.img, serial at 115200 and 9600"
img=$top/build/rescue-image/initrd.img
if [ -f "$img" ] && command -v unsquashfs >/dev/null && command -v cpio >/dev/null; then
	# The layouts are in the userland, the squashfs image inside the initramfs.
	(cd "$tmp" && cpio -i --quiet rescue.sqfs < "$img")
	unsquashfs -l "$tmp/rescue.sqfs" > "$tmp/list"
	grep -o 'keymaps/i386/.*\.kmap\.gz' "$tmp/list" | sed 's|.*/||; s|\.kmap\.gz$||' | sort -u > "$tmp/maps"
	missing=$(sed 's/#.*//; /^[[:space:]]*$/d' "$top/iso/keymaps.list" | cut -f1 | while read -r k; do
		grep -qx -- "$k" "$tmp/maps" || printf '%s ' "$k"; done)
	[ -z "$missing" ] || { echo "FAIL: keymaps.list names layouts the image lacks: $missing"; exit 1; }
	echo "keyboard layouts: the $(sed 's/#.*//; /^[[:space:]]*$/d' "$top/iso/keymaps.list" | wc -l) of keymaps.list are all among the image's $(grep -c . "$tmp/maps") PC maps"
else
	echo "no rescue image built ($img): layouts not checked"
fi
