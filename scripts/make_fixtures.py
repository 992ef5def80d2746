#!/usr/bin/env python3
"""Regenerate every committed test fixture of bnconvert, deterministically.

Install what it needs (Python 3.11):

    pip install h5py numpy tensorflow-cpu tf_keras keras

Run from anywhere:

    python3 scripts/make_fixtures.py            # both parts
    python3 scripts/make_fixtures.py --part a   # only Tests/HDF5Tests/Fixtures
    python3 scripts/make_fixtures.py --part b   # only Tests/KerasHDF5Tests/Fixtures
    python3 scripts/make_fixtures.py --part b --only grouped_conv  # one fixture, the rest kept
    python3 scripts/make_fixtures.py --verify   # re-check committed fixtures
    python3 scripts/make_fixtures.py --part defects  # only the planted-defect corpus (h5py, no TF)
    python3 scripts/make_fixtures.py --part damaged  # only Tests/CLITests/Fixtures (bytes changed)
    python3 scripts/make_fixtures.py --part hostile  # only Tests/CLITests/Fixtures/hostile (h5py, no TF)
    python3 scripts/make_fixtures.py --part archives # .keras archives of two fixtures (needs TF)

Part A writes small HDF5 files (Keras 3 / tf_keras saves and an h5py-written
edge-case file) and, for each, `<stem>.expected.json`, produced by walking the
file with h5py (see scripts/fixtures/h5walk.py for the exact structure).
Part B writes tiny Keras models with every weight randomised from fixed seeds,
their configs, a fixed input and Keras' own predictions, plus manifest.json.
No network access is needed: every model uses weights=None.
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True  # keep scripts/ free of __pycache__

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from fixtures import common  # noqa: E402  (sets TF env vars before TF import)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["a", "b", "defects", "damaged", "hostile", "archives", "all"], default="all")
    ap.add_argument("--only", metavar="NAME[,NAME…]",
                    help="part b: regenerate only these fixtures, keeping the others' files and manifest entries")
    ap.add_argument("--verify", action="store_true",
                    help="only re-check the committed fixtures, write nothing")
    args = ap.parse_args()
    if args.part == "damaged" and not args.verify:
        from fixtures import damaged  # byte-level damage that crashes libhdf5 itself
        damaged.run(ROOT)
        return
    if args.part == "hostile" and not args.verify:
        from fixtures import hostile  # h5py only: legal HDF5 pointing outside itself, loops, unstored data
        hostile.run(ROOT)
        return
    if args.part == "defects" and not args.verify:
        from fixtures import defects  # h5py only: copies of the part B files with one defect each
        defects.run(ROOT)
        return

    import keras
    import tf_keras

    keras.utils.set_random_seed(0)
    tf_keras.utils.set_random_seed(0)

    a_dir = os.path.join(ROOT, "Tests", "HDF5Tests", "Fixtures")
    b_dir = os.path.join(ROOT, "Tests", "KerasHDF5Tests", "Fixtures")
    if args.verify:
        from fixtures import verify
        ok = True
        if args.part in ("a", "all"):
            ok &= verify.verify_part_a(a_dir)
        if args.part in ("b", "all"):
            ok &= verify.verify_part_b(b_dir, keras, tf_keras)
        print("verify:", "ok" if ok else "FAILED")
        sys.exit(0 if ok else 1)

    if args.part in ("a", "all"):
        from fixtures import part_a
        part_a.run(a_dir, keras, tf_keras)
    if args.part in ("b", "all"):
        from fixtures import part_b
        part_b.run(b_dir, keras, tf_keras, only=set(args.only.split(",")) if args.only else None)
    if args.part in ("archives", "all"):
        from fixtures import archives
        archives.run(ROOT, keras, tf_keras)
    if args.part == "all":
        from fixtures import defects, damaged, hostile
        defects.run(ROOT)
        damaged.run(ROOT)
        hostile.run(ROOT)


if __name__ == "__main__":
    main()
