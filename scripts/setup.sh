#!/usr/bin/env bash
# Installs everything bnconvert needs to build and test on a fresh Debian machine that has
# Swift: the HDF5 C library and tools, zlib, and a Python virtual environment (.venv at the
# repository root; Debian's own python3 refuses system-wide pip) with the packages the interop
# tests call: h5py reads back what we write, numpy runs the spec's reference reader and the
# Python package, jsonschema checks manifests against schemas/, pytest runs python/tests.
# TensorFlow is NOT needed: it is only used by scripts/make_fixtures.py to regenerate the
# committed fixtures and by the benchmark's keras.applications inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=()
pkg-config --exists hdf5-serial 2>/dev/null || packages+=(libhdf5-dev)
command -v h5dump >/dev/null || packages+=(hdf5-tools)
command -v pkg-config >/dev/null || packages+=(pkg-config)
pkg-config --exists zlib 2>/dev/null || packages+=(zlib1g-dev)
python3 -c "import venv, ensurepip" 2>/dev/null || packages+=(python3-venv)
if [ ${#packages[@]} -gt 0 ]; then
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${packages[@]}"
fi
[ -x .venv/bin/python3 ] || python3 -m venv .venv
.venv/bin/python3 -m pip install --quiet --disable-pip-version-check \
    "h5py==3.14.0" "numpy==2.4.6" "jsonschema==4.26.0" "pytest==9.0.3" "setuptools>=61" wheel
