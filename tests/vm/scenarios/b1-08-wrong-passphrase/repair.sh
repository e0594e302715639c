# Scripted rescue step with a wrong passphrase, through rescue unlock: the
# unlock fails, nothing is opened or written, and the exit code says so
# (10, bad passphrase, docs/exit-codes.md). Anything else is a test failure.
set -uxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
printf '%s' not-the-passphrase > /tmp/wrong
rescue unlock --key-file /tmp/wrong
rc=$?
assert_released || exit 1
[ "$rc" -eq 10 ] || { echo "rescue unlock with a wrong key exited $rc, expected 10" >&2; exit 1; }
echo "could not unlock with the wrong passphrase; nothing unlocked or written"
exit 10
