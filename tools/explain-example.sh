#!/bin/bash
# Writes docs/explain-example.md from the output of 'rescue --explain --auto'
# in a VM scenario's rescue step (the VM tier keeps it as
# build/test-logs/vm/last/SCENARIO-auto/auto.txt). The generator's own
# lines ('rescue: dracut: ...', '  | ...') are left out.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$top/build/test-logs/vm/last/b1-01-initramfs-without-crypt-auto/auto.txt}
[ -s "$src" ] || { echo "explain-example: no $src (run tests/vm/b1-01-initramfs-without-crypt.sh)" >&2; exit 1; }
{
	cat <<'HEAD'
# `--explain`: an example

The output of `rescue --explain --auto --key-file K` on catalogue scenario
1 of the VM tier (`tests/vm/b1-01-initramfs-without-crypt.sh`): base B1
(Debian 12, root on LVM on LUKS2, separate /boot, dracut, BIOS GRUB) whose
initramfs was rebuilt without crypt and LVM support, so the boot stops in
dracut's emergency shell. Before each phase rescue prints why it is done
and the commands a person would type for it on this system; then it does
it. The lines the generator printed are left out. Written by
`tools/explain-example.sh` from the scenario's `auto.txt`.

```
HEAD
	grep -v -e '^rescue: dracut: ' -e '^  | ' "$src"
	echo '```'
} > "$top/docs/explain-example.md"
echo "wrote $top/docs/explain-example.md"
