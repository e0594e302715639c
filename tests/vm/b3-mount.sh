#!/bin/bash
# VM test: mount on B3 (jobs/b3-mount.sh): rescue mount of the btrfs
# subvolume root and /boot, rescue chroot, rescue umount leaving nothing.
# vm-cost: 40 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
. "$(dirname "$0")/lib/harness.sh"
vm_setup
rescue_image
base=$(base_image b3) || exit 1
mapfile -t meta < "$base.meta"
overlay "$base" "$VM_DIR/target.qcow2"
truncate -s 16M "$VM_DIR/out.img"
job=$(make_job "$VM_DIR/b3-mount" "$VM_TOP/jobs/b3-mount.sh" "${meta[@]}")
t0=$SECONDS
SCENARIO=b3-mount
run_job b3-mount 600 "$job" $(vdisk "$VM_DIR/target.qcow2" qcow2 target) $(vdisk "$VM_DIR/out.img" raw out)
rc=$?
grep -a -E '^(ok|NOT OK|==)' "$VM_LOG" | tr -d '\r'
if [ "$rc" -ne 0 ]; then
	vm_keep_log "b3-mount job exited $rc"
	exit 1
fi
log "b3-mount checks passed in $((SECONDS - t0))s"
