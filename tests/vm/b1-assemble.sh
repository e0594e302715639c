#!/bin/bash
# VM test: assemble and mount on B1 (jobs/assemble.sh, in a 512 MiB rescue
# guest): unlock by terminal, key file and passphrase fd, three wrong
# passphrases, a damaged header, Argon2id defaults and a 1 GiB memory cost,
# LVM activation, mount with /boot, chroot, umount leaving nothing, SIGTERM
# during mount, no passphrase left behind, MD RAID1 assembled and stopped
# (complete and degraded).
# vm-cost: 130 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
. "$(dirname "$0")/lib/harness.sh"
vm_setup
rescue_image
base=$(base_image b1) || exit 1
mapfile -t meta < "$base.meta"
overlay "$base" "$VM_DIR/target.qcow2"
truncate -s 64M "$VM_DIR/scratch.img" "$VM_DIR/scratch2.img" "$VM_DIR/out.img"
# A LUKS2 volume formatted on a machine with plenty of RAM: Argon2id at
# 1 GiB, cryptsetup's largest default. luksFormat needs no device-mapper.
truncate -s 32M "$VM_DIR/argon.img"
printf '%s' "$VM_PASS" | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf argon2id \
	--pbkdf-memory 1048576 --pbkdf-force-iterations 4 --key-file - "$VM_DIR/argon.img" || die "luksFormat on the host failed"
job=$(make_job "$VM_DIR/assemble" "$VM_TOP/jobs/assemble.sh" "${meta[@]}")
t0=$SECONDS
VM_MEM=512 run_job assemble 1200 "$job" $(vdisk "$VM_DIR/target.qcow2" qcow2 target) \
	$(vdisk "$VM_DIR/scratch.img" raw scratch) $(vdisk "$VM_DIR/scratch2.img" raw scratch2) \
	$(vdisk "$VM_DIR/argon.img" raw argon) \
	$(vdisk "$VM_DIR/out.img" raw out)
rc=$?
mkdir -p "$VM_DIR/out" && tar -xf "$VM_DIR/out.img" -C "$VM_DIR/out" 2>/dev/null
SCENARIO=b1-assemble
grep -a -E '^(ok|NOT OK|==)' "$VM_LOG" | tr -d '\r'
if [ "$rc" -ne 0 ]; then
	vm_keep_log "assemble job exited $rc"
	exit 1
fi
log "assemble checks passed in $((SECONDS - t0))s; $(cat "$VM_DIR/out/argon2-default.txt" 2>/dev/null)"
