# Unpack a second, newer kernel package without configuring it (dpkg
# stopped half way), lose its modules and initramfs, and regenerate the
# GRUB config so the broken kernel is the default, as an interrupted
# upgrade leaves things.
set -euxo pipefail
. ./guest.sh
. ./params
b1_open
deb=$(ls ./linux-image-*.deb)
cp "$deb" /mnt/tmp/kernel.deb
chroot /mnt dpkg --unpack /tmp/kernel.deb
rm /mnt/tmp/kernel.deb
new=$(ls /mnt/boot/vmlinuz-*cloud* | sed 's|.*/vmlinuz-||')
rm -rf "/mnt/lib/modules/$new" "/mnt/boot/initrd.img-$new"
chroot /mnt update-grub
# The first (default) entry must be the broken kernel.
awk '/^menuentry /{m=1} m && /^[[:space:]]+linux[[:space:]]/{print; exit}' /mnt/boot/grub/grub.cfg | grep -q "vmlinuz-$new"
b1_close
