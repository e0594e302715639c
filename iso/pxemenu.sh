#!/bin/bash
# The network boot menus, for iPXE and PXELINUX (the UEFI network GRUB
# reads the ISO's menu, iso/menu.sh):
#   pxemenu.sh OUTDIR VERSION
# writes OUTDIR/rescue.ipxe (a menu), OUTDIR/NAME.ipxe (one entry each) and
# OUTDIR/pxelinux.cfg/default. Every entry boots vmlinuz with initrd.img
# from beside the script. iPXE and PXELINUX have no speed menu like GRUB's,
# so the serial entries come at the two common speeds.
set -euo pipefail
out=${1:?usage: pxemenu.sh OUTDIR VERSION}
version=${2:?usage: pxemenu.sh OUTDIR VERSION}
mkdir -p "$out/pxelinux.cfg"

# The entries, as in the boot menu of the ISO: name, title, arguments.
entries() {
	printf '%s\t%s\t%s\n' \
		wizard "the wizard on this screen" "console=tty0 quiet" \
		serial "the wizard on the serial console ttyS0, 115200 baud" "console=tty0 console=ttyS0,115200" \
		serial9600 "the wizard on the serial console ttyS0, 9600 baud" "console=tty0 console=ttyS0,9600" \
		auto "unattended repair (rescue --auto)" "console=tty0 console=ttyS0,115200 rescue.auto=1" \
		shell "a shell, no wizard" "console=tty0 console=ttyS0,115200 rescue.shell=1"
}
{
	echo "#!ipxe"
	echo "# rescue $version: network boot menu (kernel and initrd beside this script)"
	echo "menu rescue $version"
	entries | while IFS=$'\t' read -r name title _; do echo "item $name $title"; done
	echo "choose --default wizard --timeout 8000 entry || goto wizard"
	echo "chain \${entry}.ipxe"
	echo ":wizard"
	echo "chain wizard.ipxe"
} > "$out/rescue.ipxe"
entries | while IFS=$'\t' read -r name title args; do
	printf '#!ipxe\n# rescue %s: %s\nkernel vmlinuz initrd=initrd.img %s ${rescue_args}\ninitrd initrd.img\nboot\n' \
		"$version" "$title" "$args" > "$out/$name.ipxe"
done
{
	echo "# rescue $version: PXELINUX configuration (type a label at the prompt)"
	# PXELINUX's own prompt is at 115200; a terminal at 9600 types
	# serial9600 blind.
	echo "SERIAL 0 115200"
	echo "PROMPT 1"
	echo "TIMEOUT 80"
	echo "DEFAULT wizard"
	entries | while IFS=$'\t' read -r name title args; do
		printf 'LABEL %s\n  # %s\n  KERNEL vmlinuz\n  INITRD initrd.img\n  APPEND %s\n' "$name" "$title" "$args"
	done
} > "$out/pxelinux.cfg/default"
