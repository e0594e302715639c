# The boots after a power cut (tests/vm/b1-signals.sh), in the rescue
# environment. Disks by serial: target (the overlay whose VM was killed),
# out (results, a tar). PHASE:
#   cut2   rescue --auto must find the journal the first power cut left
#          unfinished and undo it; it then repairs, and once the generator
#          has written the new image (RESCUE_DEBUG_AFTER_GENERATOR_MS holds
#          it there, journal still running) the job prints POWER-CUT-NOW
#          for the host to kill the VM again.
#   final  rescue --auto must find that journal, undo it and repair: exit
#          0, nothing left behind, no journal left running.
set -uo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
exec > >(tee "$OUT/powercut-$PHASE.log") 2>&1
umask 077
printf '%s' "$PASS" > /tmp/key

case $PHASE in
cut2)
	step "rescue --auto after the first power cut; held after the generator"
	RESCUE_DEBUG_AFTER_GENERATOR_MS=3600000 rescue -v --auto --key-file /tmp/key > /tmp/auto.txt 2>&1 &
	if wait_log /tmp/auto.txt 'Step delay: apply: the generator wrote the image' 900; then
		cat /tmp/auto.txt | grep -v '^rescue: dracut: ' | tail -n 30
		check "the first power cut's journal was found and undone" grep -q 'an earlier repair was interrupted (journal' /tmp/auto.txt
		check "it was undone before the repair" grep -q 'the interrupted repair was undone' /tmp/auto.txt
		echo "$failed check(s) failed before the power cut"
		out_save
		echo "POWER-CUT-NOW"
	else
		cat /tmp/auto.txt
		echo "POWER-CUT-FAILED: the generator did not finish"
	fi
	sleep 3600
	;;
final)
	step "rescue --auto after the second power cut"
	t0=$SECONDS
	rescue --auto --key-file /tmp/key --report "$OUT/final.json" > "$OUT/final.txt" 2>&1
	rc=$?
	echo "rescue --auto: exit $rc after $((SECONDS - t0)) s"
	grep -v '^rescue: dracut: ' "$OUT/final.txt"
	check "rescue --auto found the unfinished journal and undid it" grep -q 'the interrupted repair was undone' "$OUT/final.txt"
	check "rescue --auto repaired (exit 0, got $rc)" [ "$rc" = 0 ]
	check "nothing left behind" assert_released
	sys_open || notok "rescue unlock/mount after the repair"
	ls -l "$ROOT/var/lib/rescue/journal/" "$ROOT/boot/" || true
	check "no journal left running" bash -c "! grep -l running $ROOT/var/lib/rescue/journal/*/state"
	check "two journals undone (one per power cut)" [ "$(ls -d "$ROOT"/var/lib/rescue/journal/*.undone | wc -l)" = 2 ]
	check_image "/boot/initrd.img-$KVER" systemd-cryptsetup lvm dm-crypt || notok "the new image"
	sys_close || notok "rescue umount"
	;;
esac
checks_done
