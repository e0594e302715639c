# Put a wrong SELinux label on the default kernel's initramfs, as a file
# copied from a home directory or written from a rescue system would carry:
# user_home_t instead of the policy's boot_t. The rescue kernel runs without
# SELinux, so the label is only an xattr to it; setfattr is the target's
# (package attr), run in a chroot.
set -euxo pipefail
. ./guest.sh
. ./guest-b3.sh
. ./params
b3_open
img=/boot/initrd.img-$KVER
chroot /mnt getfattr -n security.selinux "$img"
chroot /mnt setfattr -n security.selinux -v system_u:object_r:user_home_t:s0 "$img"
chroot /mnt getfattr -n security.selinux "$img" | tee /tmp/label
grep -q user_home_t /tmp/label
b3_close
