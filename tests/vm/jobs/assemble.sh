# Assemble and mount on B1, in the rescue environment (a 512 MiB guest):
# rescue unlock (terminal, key file, passphrase fd, wrong passphrases, a
# damaged header, Argon2 keyslots), LVM activation, rescue mount with
# /boot, rescue chroot, rescue umount, SIGTERM during mount, and that no
# passphrase is left anywhere. Disks by serial: target (an overlay of B1),
# scratch (empty, for LUKS headers made here), argon (a LUKS2 header made
# on the host with a 1 GiB Argon2id memory cost), out (results, a tar).
# Exit 0 when every check passed; each check prints "ok:" or "NOT OK:".
set -uo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
exec > >(tee "$OUT/assemble.log") 2>&1
mounted() { grep -q " $1 " /proc/mounts; }
not_mounted() { ! mounted "$1"; }

disk=$(disk_by_serial target) && scratch=$(disk_by_serial scratch) && argon=$(disk_by_serial argon) || { notok "disks"; checks_done; }
luks=$(part "$disk" 2)
map=/dev/mapper/luks-$LUUID
umask 077
printf '%s' "$PASS" > /tmp/key
# For grep: in grep's own argv the passphrase would be found in /proc.
printf '%s\n' "$PASS" > /tmp/pattern
w0=$(sectors_written "$disk")

step "unlock with the passphrase typed on a terminal (echo off)"
mkfifo /tmp/tty.in
exec 7<>/tmp/tty.in
# script(1) gives rescue a pseudo-terminal; the passphrase is typed only
# once the prompt is shown (-f: the transcript is written as it comes),
# so an echo would be in the transcript.
script -qfec "rescue unlock $luks" /tmp/tty.log < /tmp/tty.in > /dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do grep -qi passphrase /tmp/tty.log 2>/dev/null && break; sleep 0.2; done
printf '%s\r' "$PASS" >&7
wait "$pid"; rc=$?
exec 7>&-
tr -d '\r' < /tmp/tty.log
check "terminal unlock exits 0 (got $rc)" [ "$rc" = 0 ]
check "$map exists" [ -b "$map" ]
check "the passphrase was not echoed" bash -c "! grep -q -F -f /tmp/pattern /tmp/tty.log"

step "unlock again: already open, reported, not reopened"
rescue unlock "$luks" --key-file /tmp/key > /tmp/again.txt 2>&1; rc=$?
cat /tmp/again.txt
check "second unlock exits 0 (got $rc)" [ "$rc" = 0 ]
check "second unlock says it is already open" grep -qi "already" /tmp/again.txt

step "rescue mount: activate LVM, mount root and /boot read-only"
rescue mount; rc=$?
check "rescue mount exits 0 (got $rc)" [ "$rc" = 0 ]
check "the root is mounted on $ROOT" mounted "$ROOT"
check "/boot is mounted on $ROOT/boot" mounted "$ROOT/boot"
check "the root is read-only" bash -c "grep ' $ROOT ' /proc/mounts | grep -q '[ ,]ro[ ,]'"
check "the VG's root LV is active" [ -b /dev/mapper/b1vg-root ]
lsblk -o NAME,TYPE,FSTYPE,MOUNTPOINT "$disk"

step "rescue chroot: dracut --print-cmdline in the system"
rescue chroot -- dracut --print-cmdline > /tmp/cmdline.txt 2>/tmp/cmdline.err; rc=$?
cat /tmp/cmdline.txt; tail -n 3 /tmp/cmdline.err
check "rescue chroot exits with the command's status 0 (got $rc)" [ "$rc" = 0 ]
check "dracut sees the LUKS volume (rd.luks.uuid)" grep -q "rd.luks.uuid=luks-$LUUID" /tmp/cmdline.txt
check "dracut sees the root LV (rd.lvm.lv=b1vg/root)" grep -q "rd.lvm.lv=b1vg/root" /tmp/cmdline.txt
rescue chroot -- sh -c 'exit 7'; rc=$?
check "rescue chroot passes the command's exit status (7, got $rc)" [ "$rc" = 7 ]
check "the chroot's /proc is gone after it" not_mounted "$ROOT/proc"

step "rescue umount: nothing left"
rescue umount; rc=$?
check "rescue umount exits 0 (got $rc)" [ "$rc" = 0 ]
check "no dm device, mount or loop device left" assert_released

step "unlock with a key file, mount, umount"
rescue unlock "$luks" --key-file /tmp/key; rc=$?
check "key-file unlock exits 0 (got $rc)" [ "$rc" = 0 ]
rescue mount && mounted "$ROOT/boot"; rc=$?
check "mount after key-file unlock" [ "$rc" = 0 ]
rescue umount
check "nothing left after umount" assert_released

step "three wrong passphrases"
rescue unlock "$luks" --passphrase-fd 3 3< <(printf 'wrong-1\nwrong-2\nwrong-3\n') 2> /tmp/wrong.err; rc=$?
cat /tmp/wrong.err
check "exit 10 (bad passphrase) (got $rc)" [ "$rc" = 10 ]
check "a message for each of the three tries" [ "$(grep -c -i "$(basename "$luks")\|passphrase" /tmp/wrong.err)" -ge 3 ]
check "nothing opened" assert_released

step "SIGTERM during mount undoes what the mount did"
rescue unlock "$luks" --key-file /tmp/key
udevadm settle
# lvm's udev rules may have activated the VG as the volume appeared (then
# it is unlock's doing, undone by umount); what mount adds must go again.
lvs_before=$(dmsetup ls | grep -c '^b1vg-' || true)
RESCUE_DEBUG_STEP_DELAY_MS=4000 rescue mount &
pid=$!
for _ in $(seq 300); do mounted "$ROOT" && break; sleep 0.1; done
check "the root was mounted before the signal" mounted "$ROOT"
kill -TERM "$pid"
wait "$pid"; rc=$?
check "interrupted mount exits 15 (cancelled) (got $rc)" [ "$rc" = 15 ]
check "no mount of the system left" bash -c "! grep -q ' $ROOT' /proc/mounts"
check "the LVs are as before the mount ($lvs_before active)" [ "$(dmsetup ls | grep -c '^b1vg-' || true)" = "$lvs_before" ]
check "the LUKS volume opened by the earlier unlock stays open" [ -b "$map" ]
rescue umount
check "nothing left after umount" assert_released

w1=$(sectors_written "$disk")
check "the target disk was not written to ($((w1 - w0)) sectors)" [ "$w1" = "$w0" ]

step "a damaged LUKS2 header"
printf '%s' "$PASS" | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 --key-file - "$scratch"
# Both copies of the JSON metadata (after the 4 KiB binary header of each,
# at 0 and 16 KiB) overwritten: the magic stays, the checksums fail.
dd if=/dev/urandom of="$scratch" bs=4096 seek=1 count=3 conv=notrunc status=none
dd if=/dev/urandom of="$scratch" bs=4096 seek=5 count=3 conv=notrunc status=none
sync
rescue unlock "$scratch" --key-file /tmp/key 2> /tmp/damaged.err; rc=$?
cat /tmp/damaged.err
check "exit 5 (damaged header) (got $rc)" [ "$rc" = 5 ]
check "the message names the device" grep -q "$(basename "$scratch")" /tmp/damaged.err
check "nothing opened" assert_released

step "Argon2id with cryptsetup's defaults, in this 512 MiB guest"
wipefs -q -a "$scratch"
printf '%s' "$PASS" | cryptsetup luksFormat --batch-mode --type luks2 --key-file - "$scratch"
cryptsetup luksDump "$scratch" | grep -E 'PBKDF|Memory|Time cost|Threads' | head -n 4
free -m | head -n 2
t0=$(date +%s.%N)
rescue unlock "$scratch" --key-file /tmp/key; rc=$?
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc 2>/dev/null || awk "BEGIN { print $t1 - $t0 }")
echo "ARGON2-DEFAULT-UNLOCK-SECONDS=$secs" | tee "$OUT/argon2-default.txt"
check "default Argon2id unlock exits 0 (got $rc)" [ "$rc" = 0 ]
rescue umount
check "nothing left" assert_released

step "Argon2id with 1 GiB memory cost (made on a big machine) in this 512 MiB guest"
cryptsetup luksDump "$argon" | grep -E 'PBKDF|Memory' | head -n 2
rescue unlock "$argon" --key-file /tmp/key > /tmp/argon.txt 2>&1; rc=$?
cat /tmp/argon.txt
echo "$rc" > "$OUT/argon2-big.rc"
check "the memory shortage is said, with what to do" grep -qi "memory" /tmp/argon.txt
check "rescue was not killed (got $rc)" [ "$rc" -lt 128 ]
rescue umount
check "nothing left" assert_released

step "no passphrase left in state files, logs, environments or command lines"
hits=$(grep -r -l -F -f /tmp/pattern /run/rescue /var/log /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null || true)
echo "${hits:-none}"
check "the passphrase is nowhere" [ -z "$hits" ]

step "mapping names follow the target's crypttab"
rescue unlock "$luks" --key-file /tmp/key && rescue mount --rw &&
	echo "cryptroot UUID=$LUUID none luks" > "$ROOT/etc/crypttab"
rescue umount
# The volume is found before the system is, so unlock names it luks-UUID;
# mount renames it as the system's crypttab says once it has read it.
rescue unlock "$luks" --key-file /tmp/key && rescue mount; rc=$?
check "unlock and mount exit 0 (got $rc)" [ "$rc" = 0 ]
check "the mapping is /dev/mapper/cryptroot, as crypttab says" [ -b /dev/mapper/cryptroot ]
dmsetup ls
rescue umount
check "nothing left" assert_released
step "MD RAID: assembled by rescue mount, stopped by rescue umount"
scratch2=$(disk_by_serial scratch2)
wipefs -q -a "$scratch" "$scratch2"
mdadm --create /dev/md9 --run --quiet --level=1 --raid-devices=2 --metadata=1.2 "$scratch" "$scratch2"
mkfs.ext4 -q /dev/md9
mkdir -p /mnt/md && mount /dev/md9 /mnt/md
# A minimal installed system on the array, its fstab naming it by UUID.
mkdir -p /mnt/md/etc /mnt/md/boot /mnt/md/usr/lib/modules/6.1.0-13-amd64/kernel
ln -s usr/lib /mnt/md/lib
printf 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian 12 on RAID1"\n' > /mnt/md/etc/os-release
echo "UUID=$(blkid -s UUID -o value /dev/md9) / ext4 defaults 0 1" > /mnt/md/etc/fstab
head -c 4096 /dev/urandom > /mnt/md/boot/vmlinuz-6.1.0-13-amd64
umount /mnt/md
mdadm --stop /dev/md9
check "no array active before rescue mount" bash -c "! grep -q '^md' /proc/mdstat"
rescue mount > /tmp/md.txt 2>&1; rc=$?
cat /tmp/md.txt
check "rescue mount of the system on RAID1 exits 0 (got $rc)" [ "$rc" = 0 ]
check "the array was assembled and its filesystem is the root" bash -c "grep ' $ROOT ' /proc/mounts | grep -q '^/dev/md'"
rescue umount; rc=$?
check "rescue umount exits 0 (got $rc)" [ "$rc" = 0 ]
check "the array it assembled is stopped" bash -c "! grep -q '^md' /proc/mdstat"
check "nothing left" assert_released
# One member gone (its superblock erased): started degraded, said loudly.
mdadm --zero-superblock "$scratch2"
rescue mount > /tmp/md.txt 2>&1; rc=$?
cat /tmp/md.txt
check "rescue mount with one member missing exits 0 (got $rc)" [ "$rc" = 0 ]
check "the degraded array is named in a warning" grep -qi "degraded" /tmp/md.txt
rescue umount
check "the degraded array is stopped afterwards" bash -c "! grep -q '^md' /proc/mdstat"
check "nothing left" assert_released
checks_done
