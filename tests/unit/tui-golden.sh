#!/bin/bash
# Golden screen tests of the repair wizard: the headless driver replays
# key scripts (tests/fixtures/tui/*.keys) on a fixture root and dumps the
# screen as text; every dump must equal its golden in
# tests/fixtures/tui/golden/MODE-SIZE/, in rich and basic mode, at 80x24
# and 40x12. BLESS=1 rewrites the goldens (review the diff before a commit).
# Also: the fixture tree is left as it was, the wizard exits 0 (ASan and
# UBSan abort otherwise), and a typed passphrase shows only where the
# person asked to reveal it.
set -u
: "${RESCUE:?RESCUE must name the binary under test}"
src=${RESCUE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -x "$RESCUE" ] || { echo "$RESCUE not built"; exit 77; }
cd "$src" || exit 1
root=tests/fixtures/roots/debian    # relative: the dumps show the path
golden=tests/fixtures/tui/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 checks=0

tree_sum() {
	(cd "$1" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum) | sha256sum
}
# What changes from machine to machine (free space on the fixture's
# filesystem, sizes) is blanked in both the dump and the golden.
normalize() {
	sed -E '/free of|a new image needs/ s/[0-9]+(\.[0-9]+)? (B|KiB|MiB|GiB|TiB)\b/<size>/g; s/\[[#.]{8,}\]/[<bar>]/g' "$1"
}

before=$(tree_sum "$root")
for mode in rich basic; do
	for size in 80x24 40x12; do
		for script in tests/fixtures/tui/*.keys; do
			name=$(basename "$script" .keys)
			out=$tmp/$mode-$size/$name
			mkdir -p "$out"
			flag=--$mode
			checks=$((checks + 1))
			if ! RESCUE_CMDLINE=/dev/null RESCUE_KEYMAP_DIR=/nonexistent \
				"$RESCUE" tui --headless --keys "$script" --dump "$out" --size "$size" $flag \
				--root "$root" --no-devices >"$out.log" 2>&1; then
				echo "FAIL $mode $size $name: exit $?"; sed 's/^/  | /' "$out.log" | tail -n 30
				failures=$((failures + 1))
				continue
			fi
			for dump in "$out"/*.txt; do
				g=$golden/$mode-$size/$name-$(basename "$dump")
				checks=$((checks + 1))
				if [ "${BLESS:-0}" = 1 ]; then
					mkdir -p "$(dirname "$g")"
					normalize "$dump" > "$g"
				elif ! diff -u "$g" <(normalize "$dump") > "$tmp/diff" 2>&1; then
					echo "FAIL $mode $size $name: $(basename "$dump") differs from $g"
					sed 's/^/  | /' "$tmp/diff" | head -n 40
					failures=$((failures + 1))
				fi
			done
			# A golden with no dump any more is a screen that vanished.
			for g in "$golden/$mode-$size/$name"-*.txt; do
				[ -e "$g" ] || continue
				d=${g##*/}; d=${d#"$name"-}
				if [ ! -e "$out/$d" ] && [ "${BLESS:-0}" != 1 ]; then
					echo "FAIL $mode $size $name: no dump for golden $g"; failures=$((failures + 1))
				fi
			done
		done
	done
done

# What the goldens hold, said outright for marks.keys, so a re-bless cannot
# take it back unnoticed: in plain text (no attributes), the focused item
# and only it starts with "> "; the Save dialog's footer names its own keys,
# not the passphrase field's; the status line (the line above the footer)
# loses a message once a retry succeeded or the person went on to another
# screen, and keeps a failure's reason on the screen where it happened.
expect() { # DUMP, description, command...: one check
	local dump=$1 what=$2
	shift 2
	checks=$((checks + 1))
	if [ ! -e "$dump" ] || ! "$@" "$dump"; then
		echo "FAIL ${dump#"$tmp"/}: $what"; [ -e "$dump" ] && sed 's/^/  | /' "$dump"
		failures=$((failures + 1))
	fi
}
status_line() { sed -n "$(($(wc -l < "$1") - 2))p" "$1"; }    # above the footer and the cursor line
footer() { sed -n "$(($(wc -l < "$1") - 1))p" "$1"; }
focus_is() { # ITEM-TEXT OTHER-TEXT DUMP
	grep -q "> $1" "$3" && grep -q "  $2" "$3" && ! grep -q "> $2" "$3"
}
status_empty() { [ -z "$(status_line "$1" | tr -d ' ')" ]; }
status_names_failure() { status_line "$1" | grep -q "error: vda2: not unlocked"; }
save_footer() { footer "$1" | grep -q "Enter OK  Esc Cancel" && ! footer "$1" | grep -Eq "Reveal|Key file|Skip"; }
for mode in rich basic; do
	d=$tmp/$mode-80x24/marks
	expect "$d/01-welcome-start-focused.txt" "Start is focused and marked, the layout is not" \
		focus_is "Start: look" "Keyboard layout"
	expect "$d/02-welcome-layout-focused.txt" "the layout is focused and marked, Start is not" \
		focus_is "Keyboard layout" "Start: look"
	expect "$d/03-save-dialog.txt" "the Save dialog's footer shows its own keys" \
		save_footer
	expect "$d/06-after-retry.txt" "the status line still shows the warning of a retry that succeeded" status_empty
	expect "$d/07-failure-reason.txt" "the status line does not keep the reason of the failure" \
		status_names_failure
	expect "$d/08-next-screen.txt" "the status line still shows the failure of another screen" status_empty
done

checks=$((checks + 1))
if [ "$(tree_sum "$root")" != "$before" ]; then
	echo "FAIL: the wizard changed the fixture tree"; failures=$((failures + 1))
fi
# The typed passphrase ("correct horse") is on screen only when revealed.
checks=$((checks + 1))
leaks=$(grep -l "correct horse" -r "$tmp" | grep -v 'passphrase-revealed' || true)
if [ -n "$leaks" ]; then
	echo "FAIL: the passphrase shows in: $leaks"; failures=$((failures + 1))
fi
echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
