#!/bin/bash
# Write a TFTP root for booting the rescue environment over the network:
#   pxe.sh IMAGEDIR OUTDIR
# OUTDIR gets:
#   vmlinuz, initrd.img        the kernel (Debian's, signed) and the whole userland
#   rescue.ipxe                iPXE: a menu of the entries below
#   wizard.ipxe serial.ipxe serial9600.ipxe auto.ipxe shell.ipxe
#                              iPXE: one entry each (iso/pxemenu.sh)
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

"$here/pxemenu.sh" "$out.tmp" "$version"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "pxe: TFTP root in $out (iPXE: rescue.ipxe; PXELINUX: pxelinux.cfg/default; UEFI: bootx64.efi)"
