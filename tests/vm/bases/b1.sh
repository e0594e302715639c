# Base image B1 (runs in the rescue environment as a builder VM):
# Debian 12 with dracut (hostonly), /boot on ext4 (partition 1), root and
# swap as LVM LVs on LUKS2 (partition 2, PBKDF2 with 1000 iterations so
# unlocking is fast under TCG), BIOS GRUB on an MBR disk, serial console,
# rd.retry=20 so a missing root device fails in well under a minute, and a
# unit that prints the marker once multi-user.target is reached.
# The qemu64 CPU advertises SVM, so udev would load kvm_amd, whose
# initialisation stalls a TCG guest for minutes: the kernel line blacklists
# kvm (a property of the test machine, not of the system under test).
set -euxo pipefail
. ./guest.sh
. ./params

disk=$(disk_by_serial target)
tree=$(disk_by_serial tree)

step partition, encrypt, LVM, filesystems
sfdisk --quiet "$disk" <<PT
label: dos
start=1MiB, size=200MiB, type=83, bootable
type=83
PT
udevadm settle
boot=$(part "$disk" 1) luks=$(part "$disk" 2)
mkfs.ext4 -q -L boot "$boot"
printf '%s' "$PASS" | cryptsetup luksFormat --batch-mode --type luks2 \
	--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "$luks"
luuid=$(cryptsetup luksUUID "$luks")
unlock "$luks" "luks-$luuid"
pvcreate -q "/dev/mapper/luks-$luuid"
vgcreate -q b1vg "/dev/mapper/luks-$luuid"
lvcreate -q -y -L 128M -n swap b1vg
lvcreate -q -y -l 100%FREE -n root b1vg
udevadm settle
mkfs.ext4 -q -L root /dev/b1vg/root
mkswap -L swap /dev/b1vg/swap
mount /dev/b1vg/root /mnt
mkdir -p /mnt/boot
mount "$boot" /mnt/boot

step unpack the Debian tree
tar -xf "$tree" -C /mnt
kver=$(ls /mnt/lib/modules | sort -V | tail -n 1)

step configure
cat > /mnt/etc/fstab <<FSTAB
UUID=$(blkid -s UUID -o value /dev/b1vg/root) / ext4 errors=remount-ro 0 1
UUID=$(blkid -s UUID -o value "$boot") /boot ext4 defaults 0 2
/dev/mapper/b1vg-swap none swap sw 0 0
FSTAB
echo "luks-$luuid UUID=$luuid none luks,discard" > /mnt/etc/crypttab
echo b1 > /mnt/etc/hostname
target_grub_defaults /mnt rd.retry=20
target_dracut_conf /mnt
target_marker_unit /mnt

step initramfs and boot loader
chroot_mounts /mnt
rm -f /mnt/boot/initrd.img-*
# dracut --hostonly includes the swap devices that are active and in
# fstab, as on the installed system.
swapon /dev/b1vg/swap
chroot /mnt dracut --force "/boot/initrd.img-$kver" "$kver"
check_initramfs "/boot/initrd.img-$kver" systemd-cryptsetup lvm dm-crypt
chroot /mnt grub-install --target=i386-pc "$disk"
chroot /mnt update-grub
grep -q "initrd.img-$kver" /mnt/boot/grub/grub.cfg

step close
swapoff /dev/b1vg/swap
chroot_umounts /mnt
umount /mnt/boot /mnt
vgchange -an b1vg
cryptsetup close "luks-$luuid"
sync
echo "BASE-META KVER=$kver"
echo "BASE-META LUUID=$luuid"
echo BASE-BUILT
