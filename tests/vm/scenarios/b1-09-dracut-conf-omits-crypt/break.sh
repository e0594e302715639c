# A drop-in that omits dracut's crypt and lvm modules (as a "slimmer
# image" tweak would), and the image dracut then builds from it: the
# root on LVM on LUKS is out of its reach.
set -euxo pipefail
. ./guest.sh
. ./params
b1_open
printf '# A smaller image\nomit_dracutmodules+=" crypt lvm "\n' > /mnt/etc/dracut.conf.d/92-slim.conf
chroot /mnt dracut --force "/boot/initrd.img-$KVER" "$KVER"
chroot /mnt lsinitrd "/boot/initrd.img-$KVER" > /tmp/list
if grep -E 'sbin/cryptsetup|/lvm$' /tmp/list; then echo 'the image still has crypt or lvm' >&2; exit 1; fi
b1_close
