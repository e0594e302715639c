# Scripted repair: the system's own grub-install in a chroot, on the disk.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
disk=$(disk_by_serial target)
sys_open --rw
in_sys grub-install --target=i386-pc --boot-directory=/boot "$disk"
sys_close
[ "$(head -c 2 "$disk" | od -An -tx1 | tr -d ' ')" = eb63 ]
