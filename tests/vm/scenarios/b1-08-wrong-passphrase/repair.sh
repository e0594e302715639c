# Scripted rescue step with a wrong passphrase: try to unlock, fail, touch
# nothing, and say so with exit code 10 (bad passphrase, docs/exit-codes.md). Anything else is a test failure.
set -uxo pipefail
. ./guest.sh
. ./params
PASS=not-the-passphrase
disk=$(disk_by_serial target) || exit 1
luks=$(part "$disk" 2)
if printf '%s' "$PASS" | cryptsetup open --test-passphrase --key-file - "$luks"; then
	echo "the wrong passphrase unlocked the disk" >&2
	exit 1
fi
[ -z "$(dmsetup ls --target crypt | grep -v 'No devices')" ] || { dmsetup ls; exit 1; }
if grep -q '^/dev/vd' /proc/mounts; then cat /proc/mounts; exit 1; fi
echo "could not unlock $luks: wrong passphrase; nothing unlocked or written"
exit 10
