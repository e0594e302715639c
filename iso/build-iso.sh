#!/bin/bash
# Build the hybrid rescue medium from the kernel + initramfs pair:
#   build-iso.sh IMAGEDIR OUT.iso
# IMAGEDIR holds vmlinuz and initrd.img (build-image.sh). OUT.iso boots
#  - as a CD and written raw to a USB disk;
#  - on BIOS through GRUB i386-pc (El Torito, and GRUB's hybrid MBR);
#  - on UEFI through Debian's signed shim and signed GRUB (CD build), so it
#    boots with Secure Boot on firmware that trusts Microsoft's UEFI CA.
# Partitions (MBR): 1 the ISO 9660 file system, 2 the EFI system partition
# (also the El Torito UEFI image), 3 a FAT file system labelled RESCUE for
# reports, journals, key files and options (docs/medium.md).
# Reproducible: timestamps, volume ids and the ISO's UUID derive from
# SOURCE_DATE_EPOCH (default: the time of the last commit).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
img=${1:?usage: build-iso.sh IMAGEDIR OUT.iso}
out=${2:?usage: build-iso.sh IMAGEDIR OUT.iso}
[ -f "$img/vmlinuz" ] && [ -f "$img/initrd.img" ] \
	|| { echo "build-iso: no vmlinuz and initrd.img in $img (make rescue-image)" >&2; exit 1; }
for t in xorriso grub-mkimage mkfs.fat mmd mcopy; do
	command -v $t >/dev/null || { echo "build-iso: $t missing: run tools/install-deps.sh" >&2; exit 1; }
done
# The RESCUE partition's size in MiB (reports and journals are small; make
# it larger on the stick afterwards as docs/medium.md says).
part_mb=${RESCUE_PART_MB:-4}

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$here" log -1 --format=%ct 2>/dev/null || stat -c %Y "$here/../VERSION")
fi
export SOURCE_DATE_EPOCH
export TZ=UTC LC_ALL=C
version=$(cat "$here/../VERSION" 2>/dev/null || echo 0)
stamp=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S)
# GRUB names an ISO 9660 file system by its modification time.
iso_uuid=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d-%H-%M-%S-00)
# FAT volume ids (their UUIDs) from the same time, so two builds agree,
# and different for the two FAT file systems.
esp_volid=$(printf '%08x' "$((SOURCE_DATE_EPOCH & 0xffffffff))")
part_volid=$(printf '%08x' "$(((SOURCE_DATE_EPOCH ^ 0x52455343) & 0xffffffff))")
# mkfs_fat IMAGE LABEL VOLID KIB: a FAT file system with no time in it
# (--invariant, which also fixes the volume id to 1234abcd: set ours in the
# boot sector, offset 39 in FAT12/16, little-endian).
mkfs_fat() {
	mkfs.fat -C -n "$2" --invariant "$1" "$4" >/dev/null
	local v=$3
	printf "\\x${v:6:2}\\x${v:4:2}\\x${v:2:2}\\x${v:0:2}" | dd of="$1" bs=1 seek=39 conv=notrunc status=none
}

boot=$("$here/bootfiles.sh")
tree=$("$here/tree.sh")
work=$(mktemp -d "${TMPDIR:-/var/tmp}/rescue-iso.XXXXXX")
trap 'rm -rf "$work"' EXIT
iso=$work/iso
mkdir -p "$iso/boot/grub/i386-pc" "$iso/rescue" "$iso/.disk"

# GRUB for BIOS: its modules from the tree (grub-pc-bin, the same version
# as the host's grub-mkimage in bookworm), a core image for El Torito that
# finds this medium by its UUID.
tar -xf "$tree" -C "$work" ./usr/lib/grub/i386-pc
pc=$work/usr/lib/grub/i386-pc
cp "$pc"/*.mod "$pc"/*.lst "$iso/boot/grub/i386-pc/"
cat > "$work/embed.cfg" <<EOF
search --no-floppy --fs-uuid --set=root $iso_uuid
set prefix=(\$root)/boot/grub
EOF
grub-mkimage -O i386-pc-eltorito -d "$pc" -c "$work/embed.cfg" -p /boot/grub \
	-o "$iso/boot/grub/i386-pc/eltorito.img" \
	biosdisk iso9660 part_msdos search search_fs_uuid normal configfile \
	linux echo test serial terminal

cp "$img/vmlinuz" "$img/initrd.img" "$iso/rescue/"
"$here/menu.sh" /rescue > "$iso/boot/grub/grub.cfg"
# Debian's signed CD GRUB looks for /.disk/info to find its medium.
echo "rescue $version $stamp" > "$iso/.disk/info"

# The EFI system partition: shim as the removable-media loader, the signed
# GRUB beside it under the name shim starts, and the MOK manager.
esp=$work/esp.img
esp_kb=$(( ($(du -cb "$boot/shimx64.efi" "$boot/gcdx64.efi" "$boot/mmx64.efi" | tail -n 1 | cut -f1) / 1024) + 512 ))
mkfs_fat "$esp" ESP "$esp_volid" "$esp_kb"
mmd -i "$esp" ::/EFI ::/EFI/BOOT
for f in shimx64.efi:BOOTX64.EFI gcdx64.efi:grubx64.efi mmx64.efi:mmx64.efi; do
	cp "$boot/${f%%:*}" "$work/${f#*:}"
	touch -d "@$SOURCE_DATE_EPOCH" "$work/${f#*:}"
	mcopy -m -i "$esp" "$work/${f#*:}" "::/EFI/BOOT/${f#*:}"
done

# The RESCUE partition: empty folders and a README for the help desk.
part=$work/rescue-part.img
mkfs_fat "$part" RESCUE "$part_volid" $((part_mb * 1024))
mmd -i "$part" ::/reports ::/journals ::/keys
cat > "$work/README.TXT" <<'EOF'
RESCUE partition of the rescue medium.

reports/        rescue --auto and the wizard write their reports here
journals/       a copy of each repair journal (what was changed, backups list)
keys/UUID.key   key files for LUKS volumes, named by the volume's LUKS UUID
                (blkid -s UUID -o value /dev/sdXN), used by unattended repairs
rescue.conf     options, one a line, as on the kernel command line, e.g.
                  rescue.auto=1
                  rescue.args=--dry-run
                the kernel command line wins over this file

See rescue(8), section THE RESCUE MEDIUM.
EOF
sed 's/$/\r/' "$work/README.TXT" > "$work/README.dos"
mv "$work/README.dos" "$work/README.TXT"
touch -d "@$SOURCE_DATE_EPOCH" "$work/README.TXT"
mcopy -m -i "$part" "$work/README.TXT" ::/README.TXT

find "$iso" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -f "$out.tmp"
xorriso -report_about WARNING -as mkisofs -o "$out.tmp" \
	-iso-level 3 -r -J -joliet-long -V RESCUE_MEDIUM \
	--modification-date="${stamp}00" \
	-b boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 \
	-boot-info-table --grub2-boot-info --grub2-mbr "$pc/boot_hybrid.img" \
	-c boot/boot.cat --sort-weight 0 / --sort-weight 1 /boot \
	-append_partition 2 0xef "$esp" \
	-eltorito-alt-boot -e --interval:appended_partition_2:all:: -no-emul-boot \
	-append_partition 3 0x0c "$part" \
	"$iso"
mv "$out.tmp" "$out"
{
	echo "rescue $version, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, ISO UUID $iso_uuid"
	cat "$boot/versions"
	cat "$img/manifest.txt" 2>/dev/null
} > "${out%.iso}.manifest.txt"
echo "build-iso: $out ($(du -m "$out" | cut -f1) MB; RESCUE partition ${part_mb} MiB)"
