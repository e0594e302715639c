# Nothing on the disk changes: this scenario's fault is the wrong key.
set -eu
. ./guest.sh
disk_by_serial target
