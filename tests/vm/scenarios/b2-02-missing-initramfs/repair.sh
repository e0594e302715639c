# Scripted repair (the seeds' procedure): mount root, /boot and the ESP,
# chroot, create the initramfs for the target's kernel (not the rescue
# kernel's) with the system's own generator (update-initramfs -c: -u only
# updates an image that exists), check what was written, regenerate the
# GRUB config.
set -euxo pipefail
. ./guest.sh
. ./guest-b2.sh
. ./params
b2_open
chroot /mnt update-initramfs -c -k "$KVER"
check_initramfs_tools "/boot/initrd.img-$KVER" scripts/local virtio_blk virtio_pci ext4
chroot /mnt update-grub
grep -q "initrd.img-$KVER" /mnt/boot/grub/grub.cfg
b2_close
