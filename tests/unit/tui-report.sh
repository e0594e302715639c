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
