#!/usr/bin/env bash
# Every test of the project, as CI runs them (after scripts/setup.sh):
#   1. the Swift package's tests (swift test);
#   2. the C reader against the Swift reader (c/test.sh, built with ASan/UBSan and -Werror);
#   3. the Python package's tests (python/ci.sh, pytest);
#   4. output bytes: every fixture converts to exactly the recorded hashes;
#   5. the benchmark harness on a tiny model (untimed: it proves the harness runs);
#   6. each libFuzzer target for a short, bounded time (scripts/fuzz.sh).
# Ends with one line: "N passed, 0 failed" summed over the runners that count tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
total=0

swift build --build-tests
swift test --skip-build 2>&1 | tee "$log"
count=$(sed -n 's/.*Test run with \([0-9][0-9]*\) tests.* passed after.*/\1/p' "$log" | tail -n 1)
[ -n "$count" ] || { echo "swift test: no passing run found"; exit 1; }
total=$((total + count))
bnconvert="$PWD/.build/debug/bnconvert"

c/test.sh "$bnconvert" 2>&1 | tee "$log"
count=$(sed -n 's/^\([0-9][0-9]*\) passed, 0 failed$/\1/p' "$log" | tail -n 1)
total=$((total + ${count:-0}))

BNCONVERT="$bnconvert" python/ci.sh 2>&1 | tee "$log"
count=$(sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p' "$log" | tail -n 1)
total=$((total + ${count:-0}))

echo "== output bytes of every fixture (scripts/fixture_hashes.expected)"
python3 scripts/fixture_hashes.py "$bnconvert" | diff -u scripts/fixture_hashes.expected -
total=$((total + 1))

echo "== benchmark harness (tiny model, untimed)"
python3 scripts/benchmark.py --small --binary "$bnconvert"
total=$((total + 1))

if [ -x scripts/fuzz.sh ]; then
    echo "== fuzz targets, bounded"
    scripts/fuzz.sh 15
    total=$((total + 1))
fi
echo "$total passed, 0 failed"
