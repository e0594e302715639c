#!/bin/sh
# Refresh the screen dumps in docs/wizard.md from the goldens of
# tests/unit/tui-golden.sh: each code block after a line
# "<!-- dump MODE-SIZE/NAME -->" becomes tests/fixtures/tui/golden/MODE-SIZE/NAME.txt
# (without its cursor line). Run after BLESS=1 changed the goldens.
set -eu
cd "$(dirname "$0")/.."
g=tests/fixtures/tui/golden
awk -v g="$g" '
	/^<!-- dump .* -->$/ { name = $3; print; next }
	name != "" && /^```/ && !inblock {
		print; inblock = 1
		f = g "/" name ".txt"
		while ((getline line < f) > 0) if (line !~ /^-- cursor/) print line
		close(f)
		next
	}
	inblock && /^```/ { inblock = 0; name = ""; print; next }
	inblock { next }
	{ print }
' docs/wizard.md > docs/wizard.md.tmp
mv docs/wizard.md.tmp docs/wizard.md
