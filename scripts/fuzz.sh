#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (ASan + libFuzzer, release) and runs each for a bounded
# time, one after the other. Exits 1 if any target crashed, leaked, timed out or ran out of
# memory (libFuzzer exits non-zero; the input is kept under $FUZZ_WORK/artifacts/<target>/),
# 2 if the build failed.
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]     # default: 20 s, all five targets
#
# Environment: FUZZ_WORK (working folder, default Fuzz/.build/fuzz-work: grown corpora, logs,
# artifacts), FUZZ_NICE (default 19), FUZZ_JOBS (libFuzzer -jobs/-workers, default 1),
# FUZZ_ARGS (extra libFuzzer flags), FUZZ_SKIP_BUILD=1 (run the binaries already built).
set -uo pipefail
cd "$(dirname "$0")/../Fuzz"

seconds="${1:-20}"
shift || true
all=(fuzz_bnm_open fuzz_bnm_export fuzz_json_schema fuzz_npy fuzz_keras_config)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
work="${FUZZ_WORK:-$PWD/.build/fuzz-work}"
nice_level="${FUZZ_NICE:-19}"

# SwiftPM passes each --sanitize as its own -sanitize= flag, and the Swift driver hands only
# the last one to the compiler: `--sanitize=fuzzer --sanitize=address` alone links libFuzzer
# but compiles no coverage instrumentation. The -Xswiftc flag comes last and names both.
build=(swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=address,fuzzer)

start=$(date +%s)
built=0
# FUZZ_SKIP_BUILD=1 runs the binaries already built (e.g. while the sources are mid-edit).
[ "${FUZZ_SKIP_BUILD:-0}" = 1 ] && built=1
for attempt in 1 2 3; do
    [ "$built" = 1 ] && break
    # (a retry only helps when sources change during the build, as in a shared working tree)
    if nice -n "$nice_level" "${build[@]}"; then built=1; break; fi
    echo "fuzz.sh: build failed (attempt $attempt)" >&2
    sleep 2
done
[ "$built" = 1 ] || exit 2
bin="$("${build[@]}" --show-bin-path)"
echo "fuzz.sh: built in $(( $(date +%s) - start )) s: $bin"

# Swift's own crash backtracer would catch the signal before libFuzzer and ASan can report it.
export SWIFT_BACKTRACE=enable=no
# Leaks outside this project that the targets reach (Foundation's NSRegularExpression).
export LSAN_OPTIONS="suppressions=$PWD/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

failed=()
summary=()
for target in "${targets[@]}"; do
    mkdir -p "$work/corpus/$target" "$work/artifacts/$target" "$work/logs"
    log="$work/logs/$target.log"
    echo "== $target: ${seconds} s"
    marker="$work/.start-$target"; : >"$marker"
    # New inputs go to the first folder (the working corpus); the committed seeds are read only.
    # shellcheck disable=SC2086
    nice -n "$nice_level" "$bin/$target" \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/$target/" \
        ${FUZZ_JOBS:+-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS} ${FUZZ_ARGS:-} \
        "$work/corpus/$target" "corpus/$target" >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    artifacts=$(find "$work/artifacts/$target" -type f -newer "$marker" | wc -l)
    summary+=("$(printf '%-18s exit %-3s runs %-10s exec/s %-7s cov %-6s artifacts %s' \
        "$target" "$status" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$artifacts")")
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        grep -E 'ERROR:|SUMMARY:|Fatal error|Test unit written' "$log" | head -n 20
    fi
done

echo "== summary (logs in $work/logs)"
printf '%s\n' "${summary[@]}"
echo "fuzz.sh: total $(( $(date +%s) - start )) s"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $work/artifacts/<target>/)" >&2
    exit 1
fi
echo "fuzz.sh: no crashes"
