#!/bin/bash
# The wizard's Result step saves the session's report and a commented
# shell transcript (headless, on the Debian fixture root): the report is
# the library's rescue-report/2 JSON, the transcript is valid shell that
# names the system's own generator, with a why before the commands.
set -u
: "${RESCUE:?RESCUE must name the binary under test}"
src=${RESCUE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -x "$RESCUE" ] || { echo "$RESCUE not built"; exit 77; }
command -v jq >/dev/null || { echo "jq is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cat > "$tmp/keys" <<'KEYS'
Enter Enter Enter Enter
wait
Tab Tab Tab Tab Tab
dump result
s
dump save-report
Enter
dump report-saved
w
Enter
dump transcript-saved
KEYS
RESCUE_REPORT_DIR=$tmp RESCUE_CMDLINE=/dev/null "$RESCUE" tui --headless --keys "$tmp/keys" --dump "$tmp" \
	--root "$src/tests/fixtures/roots/debian" --no-devices || fail "exit $?"
grep -q "9/9 Result" "$tmp/result.txt" || { cat "$tmp/result.txt"; fail "not on the Result step"; }
grep -q "Path: $tmp/rescue-debian-12.json" "$tmp/save-report.txt" || { cat "$tmp/save-report.txt"; fail "no default path"; }
grep -q "Report saved to $tmp/rescue-debian-12.json" "$tmp/report-saved.txt" || { cat "$tmp/report-saved.txt"; fail "no notice"; }
[ "$(jq -r .schema "$tmp/rescue-debian-12.json")" = rescue-report/2 ] || fail "the report is not rescue-report/2"
echo "ok: report saved ($(jq -r '.system // .system.id // empty' "$tmp/rescue-debian-12.json" | head -c 40))"
t=$tmp/rescue-debian-12.sh
grep -q "Transcript saved to $t" "$tmp/transcript-saved.txt" || { cat "$tmp/transcript-saved.txt"; fail "no notice"; }
sh -n "$t" || fail "the transcript is not valid shell"
grep -q '^# == discover ==' "$t" || fail "no discover section"
grep -q '^# == plan ==' "$t" || { cat "$t"; fail "no plan section"; }
grep -q 'update-initramfs' "$t" || { cat "$t"; fail "the transcript does not name the system's generator"; }
echo "ok: transcript saved: $(grep -c '^# ==' "$t") phases, $(grep -vc '^#' "$t") command lines"

# On the rescue medium the wizard starts before the disks have settled:
# its search for systems waits for the file named in RESCUE_DEVICES_READY,
# and the report directory is a link made meanwhile. Here the system (the
# fixture root) and the link appear only after a second, then the file:
# a wizard that did not wait would find no system.
late=$(realpath "$tmp")/late
mkdir "$late"
cat > "$late/keys" <<'KEYS'
Enter Enter Enter Enter
wait
Tab Tab Tab Tab Tab
dump result
s
dump save-report
KEYS
mkdir "$late/reports"
( sleep 1; cp -a "$src/tests/fixtures/roots/debian" "$late/root"; ln -s "$late/reports" "$late/link"; : > "$late/ready" ) &
RESCUE_DEVICES_READY=$late/ready RESCUE_REPORT_DIR=$late/link RESCUE_CMDLINE=/dev/null \
	"$RESCUE" tui --headless --keys "$late/keys" --dump "$late" --root "$late/root" --no-devices || fail "exit $? (waiting for devices)"
wait
grep -q "9/9 Result" "$late/result.txt" || { cat "$late/result.txt"; fail "waiting for devices: not on the Result step"; }
grep -q "Path: $late/reports/rescue-debian-12.json" "$late/save-report.txt" \
	|| { cat "$late/save-report.txt"; fail "the report path is not where the link leads"; }
echo "ok: the wizard waited for the devices, then found the system; the report goes where the link leads"
