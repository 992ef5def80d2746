#!/usr/bin/env bash
# Installs everything bnconvert needs to build and test on a fresh Debian machine that has
# Swift: the HDF5 C library and tools, and the Python packages the interop tests call
# (h5py reads back what we write, numpy runs the spec's reference reader, jsonschema checks
# manifests against schemas/). TensorFlow is NOT needed: it is only used by
# scripts/make_fixtures.py to regenerate the committed fixtures.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! pkg-config --exists hdf5-serial 2>/dev/null || ! command -v h5dump >/dev/null; then
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
        libhdf5-dev hdf5-tools pkg-config
fi
python3 -m pip install --quiet --disable-pip-version-check \
    "h5py==3.14.0" "numpy==2.4.6" "jsonschema==4.26.0"
