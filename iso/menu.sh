#!/bin/bash
# Print the boot menu (grub.cfg) of the medium:
#   menu.sh DIR
# DIR is where the kernel and initrd are, as GRUB sees them ("/rescue" on
# the ISO, "" on a TFTP server whose root holds them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1?usage: menu.sh DIR}
version=$(cat "$here/../VERSION" 2>/dev/null || echo 0)
entries=$(sed 's/#.*//; /^[[:space:]]*$/d' "$here/keymaps.list" | while IFS=$'\t' read -r name title; do
	printf '\tmenuentry "%s (%s)" {\n\t\tset keymap=%s\n\t\texport keymap\n\t\tconfigfile $prefix/grub.cfg\n\t}\n' \
		"$title" "$name" "$name"
done)
while IFS= read -r line; do
	case $line in
	@KEYMAPS@) printf '%s\n' "$entries" ;;
	*) line=${line//@DIR@/$dir}; printf '%s\n' "${line//@VERSION@/$version}" ;;
	esac
done < "$here/grub.cfg.in"
