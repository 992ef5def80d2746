#!/usr/bin/env python3
"""Print h5py's view of an HDF5 file as JSON (the structure documented in
scripts/fixtures/h5walk.py). The Swift tests use it to check that files the Swift
HDF5 layer writes read back identically in h5py.

    python3 scripts/h5describe.py FILE.h5
"""
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.h5walk import walk  # noqa: E402

if __name__ == "__main__":
    path = sys.argv[1]
    json.dump(walk(path, os.path.basename(path)), sys.stdout, sort_keys=True, indent=1, ensure_ascii=False)
