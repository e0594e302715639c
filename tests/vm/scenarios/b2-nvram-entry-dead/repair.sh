# Scripted repair: a firmware boot entry for the loader that is there
# (shim on the ESP, partition 1 of the target disk), first in BootOrder, as
# a person would add it from the rescue system booted through UEFI. The
# dead entry stays: it is the firmware's, not ours; the firmware skips it.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
disk=$(disk_by_serial target)
sys_open
test -s "$ROOT/boot/efi/EFI/debian/shimx64.efi"
sys_close
efibootmgr --create --disk "$disk" --part 1 --label debian --loader '\EFI\debian\shimx64.efi'
efibootmgr -v
