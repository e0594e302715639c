# Scripted repair: the line that omits the modules commented out, then
# the image rebuilt for the target's kernel and checked.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
sys_open --rw
in_sys sed -i '2s/^/# /' /etc/dracut.conf.d/92-slim.conf
in_sys dracut --force "/boot/initrd.img-$KVER" "$KVER"
check_image "/boot/initrd.img-$KVER" systemd-cryptsetup lvm dm-crypt
sys_close
