#!/usr/bin/env bash
# The main job on a bundled example: convert Keras' MobileNetV2 (alpha 0.35, 32×32, every
# weight and BN statistic randomised, saved by Keras 3 with model.save('x.h5')) to .bnm,
# show what was written, and prove it against Keras' own predictions.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=Tests/KerasHDF5Tests/Fixtures
out="${1:-${TMPDIR:-/tmp}/mobilenetv2.bnm}"
swift build -c release --product bnconvert
bin="$(swift build -c release --show-bin-path)/bnconvert"
"$bin" "$fixtures/mobilenetv2.h5" "$out"
"$bin" inspect "$out" | sed -n "1,20p"  # sed reads to the end: no SIGPIPE under pipefail
echo "…"
"$bin" verify "$out" --input "$fixtures/mobilenetv2.input.npy" --expect "$fixtures/mobilenetv2.expected.npy"
