# Leave an older kernel's files in /boot (no modules, no package: what an
# interrupted cleanup leaves), fill /boot to within 2 MiB, and truncate the
# current initramfs to a third, as a write that ran out of space would.
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
mount "$(part "$disk" 1)" /mnt
old=6.1.0-1-amd64
cp "/mnt/vmlinuz-$KVER" "/mnt/vmlinuz-$old"
cp "/mnt/config-$KVER" "/mnt/config-$old"
cp "/mnt/System.map-$KVER" "/mnt/System.map-$old"
img=/mnt/initrd.img-$KVER
truncate -s $(( $(stat -c %s "$img") / 3 )) "$img"
avail=$(df --output=avail -k /mnt | tail -n 1)
fallocate -l $(( (avail - 2048) * 1024 )) "/mnt/initrd.img-$old"
df -k /mnt
umount /mnt
