# Scripted repair: the stale root= out of the drop-in's line, then the
# menu made again; its last root= is the real root.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
sys_open --rw
in_sys sed -i 's| root=UUID=0badc0de-0bad-4bad-8bad-0badc0de0bad||' /etc/default/grub.d/50-moved.cfg
in_sys update-grub
if grep -q 0badc0de $ROOT/boot/grub/grub.cfg; then exit 1; fi
grep -q 'root=/dev/mapper/b1vg-root' $ROOT/boot/grub/grub.cfg
sys_close
