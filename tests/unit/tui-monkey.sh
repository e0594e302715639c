#!/bin/bash
# The wizard never crashes and always gets out: random key scripts (fixed
# seeds, so a failure replays) with resizes from 12x4 to 132x50, sample
# questions and typing, on a copy of a fixture root, under ASan/UBSan. Each
# run must exit 0; the last key of each script is a quit that must be
# obeyed (a dump written after it would mean the wizard did not quit).
set -u
: "${RESCUE:?RESCUE must name the binary under test}"
src=${RESCUE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -x "$RESCUE" ] || { echo "$RESCUE not built"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy: random keys may well accept the plan.
cp -a "$src/tests/fixtures/roots/debian" "$tmp/root"
export RESCUE_REPORT_DIR=$tmp RESCUE_CMDLINE=/dev/null RESCUE_KEYMAP_DIR=/nonexistent

keys=(Enter Esc Tab BTab Up Down Left Right PgUp PgDn Home End Backspace Space F1 F2 F3 F10
	'?' t g m q y n a c u s w '!' R P x j k C-r C-k C-x 1 Z)
asks=(passphrase choose replay plan retry)
failures=0 runs=0
for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
	RANDOM=$seed
	script=$tmp/keys-$seed
	{
		for ((i = 0; i < 150; i++)); do
			case $((RANDOM % 20)) in
			0) echo "resize $((12 + RANDOM % 121))x$((4 + RANDOM % 47))" ;;
			1) echo "ask ${asks[RANDOM % ${#asks[@]}]}" ;;
			2) echo "type random text $RANDOM" ;;
			3) echo "dump d$i" ;;
			*) echo "${keys[RANDOM % ${#keys[@]}]}" ;;
			esac
		done
		# The way out, from wherever the keys left it: close what is
		# open, then quit at a size where the dialog shows.
		echo "resize 80x24"
		echo "C-x Esc Esc Esc n Esc q y"
		echo "dump not-quit"
	} > "$script"
	runs=$((runs + 1))
	mode=--basic; [ $((seed % 2)) -eq 0 ] && mode=--rich
	if ! "$RESCUE" tui --headless $mode --keys "$script" --dump "$tmp" --root "$tmp/root" --no-devices \
		> "$tmp/log-$seed" 2>&1; then
		echo "FAIL seed $seed: exit $? (script $script)"; tail -n 30 "$tmp/log-$seed"
		failures=$((failures + 1))
	elif [ -e "$tmp/not-quit.txt" ]; then
		echo "FAIL seed $seed: the wizard did not quit"; cat "$tmp/not-quit.txt"
		failures=$((failures + 1))
	fi
	rm -f "$tmp/not-quit.txt"
done
echo "$runs runs, $failures failed"
[ "$failures" -eq 0 ]
