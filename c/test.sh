#!/usr/bin/env bash
# Builds the C reader with -std=c99 -Wall -Wextra -Werror and ASan/UBSan, then compares what
# it reads with what the Swift reader reads (compare.py) on every .bnm fixture, every Keras
# fixture converted to .bnm, and a corpus of edge cases; then a short fuzz run.
#   c/test.sh [path/to/bnconvert]      (default .build/debug/bnconvert; built if missing)
# The last line is "N passed, M failed"; exit status non-zero on any failure.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"
BNCONVERT="${1:-.build/debug/bnconvert}"
if [ ! -x "$BNCONVERT" ]; then
    echo "building bnconvert (swift build)..."
    swift build >&2
fi
BNCONVERT="$(cd "$(dirname "$BNCONVERT")" && pwd)/$(basename "$BNCONVERT")"
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
CFLAGS="-std=c99 -Wall -Wextra -Werror -pedantic -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
for prog in example bnmdump fuzz_bnm; do
    cc $CFLAGS -o "$BUILD/$prog" "$HERE/$prog.c" "$HERE/bnm.c" -lm
done
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The example must run cleanly on the annotated example file.
"$BUILD/example" Tests/BNModelTests/Fixtures/example.bnm > "$BUILD/example.out"
grep -q "fc .*dense" "$BUILD/example.out"
set +e
python3 "$HERE/compare.py" "$BNCONVERT" "$BUILD/bnmdump" "$BUILD" | tee "$BUILD/compare.out"
status=${PIPESTATUS[0]}
set -e
counts=$(tail -n 1 "$BUILD/compare.out")
if [[ "$counts" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=${BASH_REMATCH[1]}
    failed=${BASH_REMATCH[2]}
else
    passed=0
    failed=1
    [ "$status" -ne 0 ] || status=1
fi
# A short fuzz run (random flips, truncations, manifest edits) under the sanitizers; the seeds
# include compare.py's model with a grouped conv2d and layer_norm layers.
if "$BUILD/fuzz_bnm" --iterations 20000 --seed 1 Tests/BNModelTests/Fixtures/example.bnm Tests/BNModelTests/Fixtures/defects/clean.bnm Tests/BNModelTests/Fixtures/defects/clean_per_activation.bnm "$BUILD/edge/edge_new_kinds.bnm" > "$BUILD/fuzz.out" 2>&1; then
    passed=$((passed + 1))
    tail -n 1 "$BUILD/fuzz.out"
else
    failed=$((failed + 1))
    echo "FAIL fuzz run:"; tail -n 30 "$BUILD/fuzz.out"
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
