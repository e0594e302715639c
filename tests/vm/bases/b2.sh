# Base image B2 (runs in the rescue environment as a builder VM):
# Debian 12 with initramfs-tools, booted through UEFI (OVMF) the way the
# Debian installer sets it up: a GPT disk with the ESP (partition 1, vfat,
# mounted on /boot/efi), /boot on ext4 (partition 2) and the root on plain
# ext4 (partition 3, no LUKS, no LVM); shim and the signed GRUB, so
# grub-install writes the stub EFI/debian/grub.cfg that searches /boot's
# filesystem by UUID and loads /boot/grub/grub.cfg. Serial console, GRUB on
# the serial terminal, rootdelay=20 (initramfs-tools' bounded root wait, 180 s
# by default), kvm blacklisted as on B1 (the qemu64 CPU advertises SVM and
# kvm_amd stalls a TCG guest), and the unit that prints the marker once
# multi-user.target is reached.
#
# Firmware variables: this VM boots the rescue kernel directly (no UEFI), so
# grub-install cannot register a boot entry (--no-nvram), and each target boot
# starts from a fresh copy of OVMF_VARS (the harness keeps no variable store
# with the image). OVMF then boots the removable-media path
# EFI/BOOT/BOOTX64.EFI, which --force-extra-removable fills with shim and
# GRUB beside the EFI/debian ones; the signed GRUB reads its configuration
# from /EFI/debian (its built-in prefix) whichever copy started.
set -euxo pipefail
. ./guest.sh
. ./guest-b2.sh
. ./params

disk=$(disk_by_serial target)
tree=$(disk_by_serial tree)

step partition, filesystems
# U: EFI System, L: Linux filesystem.
sfdisk --quiet "$disk" <<PT
label: gpt
start=1MiB, size=256MiB, type=U, name=esp
size=256MiB, type=L, name=boot
type=L, name=root
PT
udevadm settle
esp=$(part "$disk" 1) boot=$(part "$disk" 2) root=$(part "$disk" 3)
mkfs.vfat -F 32 -n ESP "$esp"
mkfs.ext4 -q -L boot "$boot"
mkfs.ext4 -q -L root "$root"
mount "$root" /mnt
mkdir -p /mnt/boot
mount "$boot" /mnt/boot

step unpack the Debian tree
tar -xf "$tree" -C /mnt
mkdir -p /mnt/boot/efi
mount "$esp" /mnt/boot/efi
kver=$(ls /mnt/lib/modules | sort -V | tail -n 1)

step configure
esp_uuid=$(blkid -s UUID -o value "$esp")
boot_uuid=$(blkid -s UUID -o value "$boot")
root_uuid=$(blkid -s UUID -o value "$root")
cat > /mnt/etc/fstab <<FSTAB
UUID=$root_uuid / ext4 errors=remount-ro 0 1
UUID=$boot_uuid /boot ext4 defaults 0 2
UUID=$esp_uuid /boot/efi vfat umask=0077 0 1
FSTAB
echo b2 > /mnt/etc/hostname
target_grub_defaults /mnt rootdelay=20
target_marker_unit /mnt

step initramfs and boot loader
chroot_mounts /mnt
# The package maintainer scripts run grub-install with the removable copy
# too when this is set (as the installer does when asked), so a later GRUB
# upgrade keeps EFI/BOOT in step with EFI/debian.
echo 'grub-efi-amd64 grub2/force_efi_extra_removable boolean true' | chroot /mnt debconf-set-selections
# MODULES=dep, initramfs-tools' counterpart of B1's dracut hostonly: only
# the modules this machine's root needs (found through /proc/mounts and
# /sys, which the chroot sees). The default, MODULES=most, copies some 850
# modules and takes 10-12 minutes per image in a loaded TCG guest; dep about
# a tenth of that.
echo MODULES=dep > /mnt/etc/initramfs-tools/conf.d/90-modules-dep.conf
# The tree carries an image built in the bootstrap chroot: build this
# system's own, as the installer does.
rm -f /mnt/boot/initrd.img-*
chroot /mnt update-initramfs -c -k "$kver"
check_initramfs_tools "/boot/initrd.img-$kver" scripts/local virtio_blk virtio_pci ext4
chroot /mnt grub-install --target=x86_64-efi --efi-directory=/boot/efi \
	--bootloader-id=debian --uefi-secure-boot --force-extra-removable --no-nvram
# grub-install wrote EFI/debian/{shimx64,grubx64,mmx64,fbx64}.efi,
# BOOTX64.CSV and the stub grub.cfg, and EFI/BOOT/{BOOTX64.EFI (shim),
# grubx64.efi,mmx64.efi}. shim started from EFI/BOOT would run the fallback
# loader fbx64.efi if it sat beside it (fallback writes boot entries and may
# reset the machine, which ends a QEMU run with -no-reboot): it must not.
find /mnt/boot/efi -type f | sort
test ! -e /mnt/boot/efi/EFI/BOOT/fbx64.efi
cat /mnt/boot/efi/EFI/debian/grub.cfg
grep -q "$boot_uuid" /mnt/boot/efi/EFI/debian/grub.cfg
test -s /mnt/boot/efi/EFI/BOOT/BOOTX64.EFI
chroot /mnt update-grub
grep -q "initrd.img-$kver" /mnt/boot/grub/grub.cfg

step close
chroot_umounts /mnt
umount /mnt/boot/efi /mnt/boot /mnt
sync
echo "BASE-META KVER=$kver"
echo "BASE-META ESPUUID=$esp_uuid"
echo "BASE-META BOOTUUID=$boot_uuid"
echo "BASE-META ROOTUUID=$root_uuid"
echo BASE-BUILT
