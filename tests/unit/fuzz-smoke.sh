#!/bin/bash
# A short pass of every libFuzzer target (tests/fuzz/fuzz-*.c), so the unit
# tier exercises them on each run: builds them with clang into
# $RESCUE_BUILD/fuzz (incrementally: 'make fuzz-build'), then runs each for
# FUZZ_SMOKE_SECONDS (default 5) from its seeds. Any crash, sanitizer
# report or hang fails. The long runs are 'make fuzz'.
set -u
src=${RESCUE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${RESCUE_BUILD:-$src/build}
seconds=${FUZZ_SMOKE_SECONDS:-5}

if ! command -v clang >/dev/null; then
	echo "clang is not installed: the libFuzzer targets cannot be built (apt-get install clang)"
	exit 77
fi
# libFuzzer's runtime ships with clang's compiler-rt; some installs lack it.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' >"$probe/t.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/t.c" -o "$probe/t" 2>"$probe/err"; then
	cat "$probe/err"
	echo "clang cannot link libFuzzer programs here (compiler-rt missing?): fuzz targets not run"
	exit 77
fi

# Run from within 'make check' too: a nested make must not use the outer
# one's jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL
fuzzdir=$build/fuzz
if ! make -C "$src" -j"$(nproc)" BUILD="$build" FUZZ_DIR="$fuzzdir" fuzz-build >"$probe/make.log" 2>&1; then
	tail -n 40 "$probe/make.log"
	echo "building the fuzz targets failed"
	exit 1
fi
n=$(find "$fuzzdir" -maxdepth 1 -name 'fuzz-*' -type f -perm -u+x | wc -l)
if [ "$n" -eq 0 ]; then
	echo "no fuzz target was built in $fuzzdir"
	exit 1
fi
echo "running $n fuzz targets for ${seconds}s each"
"$src/tests/fuzz/run.sh" "$fuzzdir" "$seconds" 2>&1 |
	grep -E '^fuzz:|stat::number_of_executed_units|ERROR|SUMMARY|^==[0-9]+==|runtime error|Test unit written|#[0-9]+ +DONE'
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || echo "a fuzz target failed: reproduce with the input left in $fuzzdir (see above)"
exit "$rc"
