# Scripted repair: fstab's /boot line pointed at the /boot partition.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
sys_open --rw
buuid=$(blkid -s UUID -o value "$(part "$(disk_by_serial target)" 1)")
sed -i "s|^UUID=0badb007-0bad-4bad-8bad-0badb0070bad /boot |UUID=$buuid /boot |" $ROOT/etc/fstab
grep -q "^UUID=$buuid /boot " $ROOT/etc/fstab
sys_close
