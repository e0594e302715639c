#!/bin/bash
# Run every libFuzzer binary in DIR for SECONDS each (or only the targets
# named after SECONDS). Seeds come from tests/fuzz/seeds/NAME (a directory,
# or a symlink to fixtures) when it exists; new inputs go to a scratch
# corpus, DIR/corpus-NAME, never into the source tree. A crash, sanitizer
# report or hang of one target fails the run (after the other targets had
# their turn); crash inputs are left in DIR as crash-*/timeout-*/oom-*.
set -u
dir=${1:?usage: run.sh DIR SECONDS [NAME...]}
seconds=${2:-60}
shift $(($# >= 2 ? 2 : $#))
here=$(cd "$(dirname "$0")" && pwd)
failed=()
for f in "$dir"/fuzz-*; do
	[ -x "$f" ] && [ -f "$f" ] || continue
	n=$(basename "$f")
	if [ $# -gt 0 ]; then
		want=false
		for w in "$@"; do [ "$w" = "$n" ] || [ "fuzz-$w" = "$n" ] && want=true; done
		$want || continue
	fi
	corpus=$dir/corpus-$n
	mkdir -p "$corpus"
	seeds=()
	[ -d "$here/seeds/$n" ] && seeds=("$here/seeds/$n/")
	echo "fuzz: $n for ${seconds}s"
	# -timeout: one input running that long is a hang, reported as such.
	if ! (cd "$dir" && "./$n" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
		"corpus-$n" "${seeds[@]}"); then
		echo "fuzz: $n FAILED (see the report above; the input is in $dir)"
		failed+=("$n")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: failed: ${failed[*]}"
	exit 1
fi
exit 0
