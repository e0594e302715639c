# The scripted repair of a VM scenario (runs in the rescue environment):
# the scenario's repair.sh, the oracle 'rescue --auto' is compared with,
# between two manifests of the target; writes before, after, changes and
# oracle.rc to the disk with serial "out". Exit status: repair.sh's.
set -uo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
bad() { echo "ORACLE-JOB FAILED: $*" >&2; job_exit 1; }

sys_open || bad "rescue unlock/mount of the broken system failed"
manifest "$OUT/before"
sys_close || bad "rescue umount left something behind"
bash ./repair.sh
rc=$?
echo "$rc" > "$OUT/oracle.rc"
echo "repair.sh: exit $rc"
assert_released || bad "repair.sh left something behind"
sys_open || bad "rescue unlock/mount after the repair failed"
manifest "$OUT/after"
sys_close || bad "rescue umount left something behind"
changes "$OUT/before" "$OUT/after" > "$OUT/changes"
echo "changed by repair.sh:"
cat "$OUT/changes"
job_exit "$rc"
