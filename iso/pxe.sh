#!/bin/bash
# Write a TFTP root for booting the rescue environment over the network:
#   pxe.sh IMAGEDIR OUTDIR
# OUTDIR gets:
#   vmlinuz, initrd.img        the kernel (Debian's, signed) and the whole userland
#   rescue.ipxe                iPXE: a menu of the entries below
#   wizard.ipxe serial.ipxe auto.ipxe shell.ipxe   iPXE: one entry each
#   pxelinux.0 ldlinux.c32 pxelinux.cfg/default
#                              PXELINUX (BIOS; Debian's pxelinux and
#                              syslinux-common, see pxelinuxfiles.sh)
#   bootx64.efi grubx64.efi grub/grub.cfg
#                              UEFI, also with Secure Boot: Debian's signed
#                              shim and signed network GRUB (it reads /grub/)
# docs/medium.md shows a dnsmasq configuration serving it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
img=${1:?usage: pxe.sh IMAGEDIR OUTDIR}
out=${2:?usage: pxe.sh IMAGEDIR OUTDIR}
[ -f "$img/vmlinuz" ] && [ -f "$img/initrd.img" ] \
	|| { echo "pxe: no vmlinuz and initrd.img in $img (make rescue-image)" >&2; exit 1; }
boot=$("$here/bootfiles.sh")
pxelinux=$("$here/pxelinuxfiles.sh")
version=$(cat "$here/../VERSION" 2>/dev/null || echo 0)
rm -rf "$out.tmp"
mkdir -p "$out.tmp/pxelinux.cfg" "$out.tmp/grub"
cp "$img/vmlinuz" "$img/initrd.img" "$out.tmp/"
cp "$boot/shimx64.efi" "$out.tmp/bootx64.efi"
cp "$boot/grubnetx64.efi" "$out.tmp/grubx64.efi"
cp "$boot/mmx64.efi" "$out.tmp/mmx64.efi"
cp "$pxelinux/pxelinux.0" "$pxelinux/ldlinux.c32" "$out.tmp/"
"$here/menu.sh" "" > "$out.tmp/grub/grub.cfg"

# The entries, as in the boot menu of the ISO: name, title, arguments.
entries() {
	printf '%s\t%s\t%s\n' \
		wizard "the wizard on this screen" "console=tty0 quiet" \
		serial "the wizard on the serial console ttyS0, 115200 baud" "console=tty0 console=ttyS0,115200" \
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
} > "$out.tmp/rescue.ipxe"
entries | while IFS=$'\t' read -r name title args; do
	printf '#!ipxe\n# rescue %s: %s\nkernel vmlinuz initrd=initrd.img %s ${rescue_args}\ninitrd initrd.img\nboot\n' \
		"$version" "$title" "$args" > "$out.tmp/$name.ipxe"
done
{
	echo "# rescue $version: PXELINUX configuration (type a label at the prompt)"
	echo "SERIAL 0 115200"
	echo "PROMPT 1"
	echo "TIMEOUT 80"
	echo "DEFAULT wizard"
	entries | while IFS=$'\t' read -r name title args; do
		printf 'LABEL %s\n  # %s\n  KERNEL vmlinuz\n  INITRD initrd.img\n  APPEND %s\n' "$name" "$title" "$args"
	done
} > "$out.tmp/pxelinux.cfg/default"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "pxe: TFTP root in $out (iPXE: rescue.ipxe; PXELINUX: pxelinux.cfg/default; UEFI: bootx64.efi)"
