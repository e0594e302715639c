# fstab's /boot line names a filesystem UUID that no disk has, as after
# the /boot partition was made anew and fstab not updated.
set -euxo pipefail
. ./guest.sh
. ./params
b1_open
buuid=$(blkid -s UUID -o value "$(part "$TDISK" 1)")
sed -i "s|^UUID=$buuid /boot |UUID=0badb007-0bad-4bad-8bad-0badb0070bad /boot |" /mnt/etc/fstab
grep -q '^UUID=0badb007-0bad-4bad-8bad-0badb0070bad /boot ' /mnt/etc/fstab
b1_close
