# Zero the boot code of the target disk's MBR (bytes 0-439), leaving the
# disk signature and the partition table (as a tool that "cleans" the MBR
# does, or another system's installer failing half-way).
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
[ "$(head -c 2 "$disk" | od -An -tx1 | tr -d ' ')" = eb63 ]   # GRUB's boot.img before
dd if=/dev/zero of="$disk" bs=440 count=1 conv=notrunc,fsync status=none
[ "$(head -c 440 "$disk" | tr -d '\0' | wc -c)" = 0 ]
sfdisk -d "$disk"                                              # the table is untouched
