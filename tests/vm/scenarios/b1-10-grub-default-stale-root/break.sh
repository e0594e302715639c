# A drop-in of GRUB's defaults that appends a root= for a filesystem that
# is gone (written when the system was moved), and the menu update-grub
# makes from it: grub-mkconfig's own root= first, the stale one last.
set -euxo pipefail
. ./guest.sh
. ./params
b1_open
mkdir -p /mnt/etc/default/grub.d
printf '# Written when the system was moved to a new disk\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX root=UUID=0badc0de-0bad-4bad-8bad-0badc0de0bad"\n' \
	> /mnt/etc/default/grub.d/50-moved.cfg
chroot /mnt update-grub
grep -E '^\s*linux\s.*root=/dev/mapper/b1vg-root.*root=UUID=0badc0de' /mnt/boot/grub/grub.cfg
b1_close
