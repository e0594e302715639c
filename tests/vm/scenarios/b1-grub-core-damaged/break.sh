# Overwrite sectors 2-33 of the gap after the MBR (16 KiB) with 0xff, as a
# partitioning tool or another program keeping its own data in the gap
# does: GRUB's core (sector 1 on) loses its loader code and much of what
# follows. GRUB guards the rest of its core with Reed-Solomon parity that
# it writes after it and uses at each start: 8 damaged sectors past the
# loader code (sectors 20-27) were corrected and B1 still booted. Its loader
# code (the first ~1.9 KB after sector 1) is not guarded, so damage from
# sector 2 is fatal: the boot sector prints "GRUB loading." and nothing follows.
# The boot sector, sector 1 and the partition table stay intact.
set -euxo pipefail
. ./guest.sh
. ./params
disk=$(disk_by_serial target)
[ "$(head -c 2 "$disk" | od -An -tx1 | tr -d ' ')" = eb63 ]   # GRUB's boot.img
start=$(sfdisk -d "$disk" | sed -n 's/.*start= *\([0-9]*\).*/\1/p' | sort -n | head -n 1)
[ "$start" -ge 2048 ]                                          # the gap holds sectors 1-2047
dd if="$disk" bs=512 skip=33 count=1 status=none | tr -d '\0' | wc -c | grep -qv '^0$'   # the core reaches there
head -c 16384 /dev/zero | tr '\0' '\377' | dd of="$disk" bs=512 seek=2 iflag=fullblock conv=notrunc,fsync status=none
[ "$(head -c 2 "$disk" | od -An -tx1 | tr -d ' ')" = eb63 ]   # the boot sector still GRUB's
sfdisk -d "$disk"
