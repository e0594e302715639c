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
# Serial speeds, each with its first digit as the hotkey.
speeds=$(for b in 115200 57600 38400 19200 9600; do
	printf '\tmenuentry "%s baud (%s)" --hotkey=%s {\n\t\tset serial_speed=%s\n\t\texport serial_speed\n\t\tconfigfile $prefix/grub.cfg\n\t}\n' \
		"$b" "${b:0:1}" "${b:0:1}" "$b"
done)
while IFS= read -r line; do
	case $line in
	@KEYMAPS@) printf '%s\n' "$entries" ;;
	@SPEEDS@) printf '%s\n' "$speeds" ;;
	*) line=${line//@DIR@/$dir}; printf '%s\n' "${line//@VERSION@/$version}" ;;
	esac
done < "$here/grub.cfg.in"
