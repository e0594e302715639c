#!/bin/bash
# Build what the VM tests share, ahead of them: the rescue image, the ISO
# and the base images, slowest first (B3 with its SELinux labelling, then B1, B2).
# tests/run.sh starts this in the background while the unit and loop tiers
# run: those keep one core busy at most, and a builder VM uses the other.
# Everything it builds is cached and locked as when a test builds it, so a
# test that needs an image still being built waits for it, and a failure
# here only means the test that needs the image builds it itself (and
# reports the failure in its own log).
. "$(dirname "$0")/harness.sh"
. "$(dirname "$0")/iso.sh"
vm_setup
t0=$SECONDS
rescue_image
log "rescue image ready after $((SECONDS - t0))s"
rc=0
# The medium's tests share the ISO; a failure is theirs to report.
if (rescue_iso); then log "ISO ready after $((SECONDS - t0))s"; else log "ISO not built here"; rc=1; fi
for b in b3 b1 b2; do
	t=$SECONDS
	# base_image dies on failure: a subshell keeps the other bases going.
	(BASE_NOWAIT=1 base_image "$b" >/dev/null)
	case $? in
	0) log "base image $b ready ($((SECONDS - t))s)" ;;
	3) log "base image $b: a test is building it" ;;
	*) log "base image $b: not built here; the tests that need it will try again"; rc=1 ;;
	esac
done
log "VM images prepared in $((SECONDS - t0))s"
exit "$rc"
