#!/bin/bash
# VM test: signals and power cuts on B1 with the break of scenario 2 (the
# default kernel's initramfs deleted), on one overlay of the base:
# 1. one rescue boot (jobs/signals.sh): SIGTERM to 'rescue --auto' while
#    it unlocks, activates, has the system mounted and runs dracut, and to
#    'rescue fix --yes' while dracut runs: exit 15 each time, nothing
#    mapped, mounted or looped afterwards, /boot and /etc as before; then
#    'rescue --auto' once more and the whole VM killed (SIGKILL of QEMU: a
#    power cut) while dracut runs;
# 2. a rescue boot (jobs/powercut.sh cut2): 'rescue --auto' finds that
#    unfinished journal and undoes it, repairs, and the VM is killed again
#    right after the generator wrote the new image (before it is verified,
#    synced and the journal completed);
# 3. a rescue boot (powercut.sh final): 'rescue --auto' undoes that one
#    too and repairs: exit 0;
# 4. the target boots through its own boot loader to its marker.
# VM_POWERCUT=0 stops after step 1 (without its power cut).
# vm-cost: 1100 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
. "$(dirname "$0")/lib/harness.sh"
vm_setup
rescue_image
base=$(base_image b1) || exit 1
mapfile -t meta < "$base.meta"
SCENARIO=b1-signals
POWERCUT=${VM_POWERCUT:-1}
overlay "$base" "$VM_DIR/target.qcow2"
failures=0
# VM_WAIT_FREE=1 (a run by hand on a shared machine): each boot waits
# while two or more QEMU guests run already.
wait_free() {
	while [ "${VM_WAIT_FREE:-0}" = 1 ] && [ "$(pgrep -c qemu-system)" -ge 2 ]; do sleep 5; done
}

# boot_job NAME TIMEOUT JOBTAR: the rescue image runs the job with the
# target and a fresh results disk; it ends with the job's exit line, or
# with POWER-CUT-NOW, on which QEMU is killed by SIGKILL: the guest's page
# cache and its disk queue are lost as in a power cut. Prints the job's
# check lines; sets JOB_END (exit, cut or failed) and JOB_RC.
boot_job() {
	local name=$1 timeout=$2 job=$3 r t0=$SECONDS
	rm -f "$VM_DIR/out.img" && truncate -s 64M "$VM_DIR/out.img"
	wait_free
	vm_start "$name" 1536 -kernel "$RESCUE_KERNEL" -initrd "$RESCUE_INITRD" \
		-append "console=ttyS0,115200 rescue.job=job" \
		$(vdisk "$job" raw job ro) $(vdisk "$VM_DIR/target.qcow2" qcow2 target) \
		$(vdisk "$VM_DIR/out.img" raw out)
	r=$(vm_wait "$timeout" 'POWER-CUT-NOW' 'POWER-CUT-FAILED' 'RESCUE-JOB-EXIT=[0-9]+')
	case $? in
	0) ;;
	*) r=0 ;;
	esac
	JOB_RC=""
	case $r in
	1)
		kill -9 "$VM_PID"
		JOB_END=cut ;;
	3)
		JOB_RC=$(grep -a -o -E 'RESCUE-JOB-EXIT=[0-9]+' "$VM_LOG" | head -n 1 | cut -d= -f2)
		JOB_END=exit
		vm_wait_exit 30 || true ;;
	*)
		JOB_END=failed ;;
	esac
	vm_stop
	rm -rf "$VM_DIR/out" && mkdir -p "$VM_DIR/out" && tar -xf "$VM_DIR/out.img" -C "$VM_DIR/out" 2>/dev/null
	grep -a -E '^(ok|NOT OK|==|.*: exit [0-9]+, [0-9.]+ s after SIGTERM|rescue --auto: exit)' "$VM_LOG" | tr -d '\r'
	log "$name: ended by $JOB_END${JOB_RC:+ (exit $JOB_RC)} after $((SECONDS - t0)) s"
	if grep -a -q '^NOT OK' "$VM_LOG"; then
		vm_keep_log "$name: a check failed"
		failures=$((failures + 1))
	fi
}

job=$(make_job "$VM_DIR/signals" "$VM_TOP/jobs/signals.sh" "${meta[@]}" POWERCUT="$POWERCUT")
boot_job signals 1800 "$job"
want=exit
[ "$POWERCUT" = 1 ] && want=cut
if [ "$JOB_END" != "$want" ] || { [ "$want" = exit ] && [ "$JOB_RC" != 0 ]; }; then
	vm_keep_log "signals job: ended by $JOB_END${JOB_RC:+ (exit $JOB_RC)}, expected $want"
	exit 1
fi
[ "$failures" = 0 ] || exit 1
[ "$POWERCUT" = 1 ] || { log "signal checks passed"; exit 0; }

job=$(make_job "$VM_DIR/cut2" "$VM_TOP/jobs/powercut.sh" "${meta[@]}" PHASE=cut2)
boot_job powercut-2 1500 "$job"
[ "$JOB_END" = cut ] || { vm_keep_log "second power cut: ended by $JOB_END"; exit 1; }

job=$(make_job "$VM_DIR/final" "$VM_TOP/jobs/powercut.sh" "${meta[@]}" PHASE=final)
boot_job recover 1500 "$job"
if [ "$JOB_END" != exit ] || [ "$JOB_RC" != 0 ]; then
	vm_keep_log "recovery after the power cuts: ended by $JOB_END${JOB_RC:+ (exit $JOB_RC)}"
	exit 1
fi
[ "$failures" = 0 ] || exit 1

wait_free
boot_target positive "$VM_DIR/target.qcow2" 400 'Kernel panic' 'You are in emergency mode' \
	'dracut-initqueue.*timeout'
log "positive boot after the power cuts: $BOOT_RESULT after ${BOOT_TIME}s"
if [ "$BOOT_RESULT" != marker ]; then
	vm_keep_log "the target did not boot after the power cuts ($BOOT_RESULT ${BOOT_MATCH:-})"
	exit 1
fi
log "signals and power cuts: every check passed"
