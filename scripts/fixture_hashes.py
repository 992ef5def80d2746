#!/usr/bin/env python3
"""Prints the SHA-256 of every fixture's conversion, one line each, so that a refactor or a
speed-up can prove it changed no output byte: run it before and after, and diff.

    python3 scripts/fixture_hashes.py .build/release/bnconvert > before.txt

Each Keras fixture file is converted to .bnm (with its --config when it is weights-only), and
each .bnm written is converted back to Keras; both outputs are hashed. The .bnm fixtures of
the format tests are converted back where they came from Keras.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERAS = os.path.join(ROOT, "Tests", "KerasHDF5Tests", "Fixtures")


def sha(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def run(tool, args):
    result = subprocess.run([tool, *args], capture_output=True, text=True)
    return result.returncode, result.stderr.strip().splitlines()[-1:] if result.stderr else []


def main():
    tool = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "bnconvert"))
    manifest = json.load(open(os.path.join(KERAS, "manifest.json")))
    with tempfile.TemporaryDirectory() as scratch:
        for fixture in manifest["fixtures"]:
            for entry in fixture["files"]:
                source = os.path.join(KERAS, entry["file"])
                stem = entry["file"].replace("/", "_")
                out = os.path.join(scratch, stem + ".bnm")
                args = [source, out, "--force"]
                if entry["kind"] not in ("full_model_h5", "keras_archive"):
                    args += ["--config", os.path.join(KERAS, fixture["config"])]
                code, _ = run(tool, args)
                if code != 0 or not os.path.exists(out):
                    print(f"{entry['file']} -> .bnm: exit {code}")
                    continue
                print(f"{entry['file']} -> .bnm: {sha(out)}")
                suffix = ".weights.h5" if entry["file"].endswith((".weights.h5", ".keras")) else ".h5"
                back = os.path.join(scratch, stem + ".back" + suffix)
                code, _ = run(tool, [out, back])
                print(f"{entry['file']} -> .bnm -> {suffix}: " + (sha(back) if code == 0 and os.path.exists(back) else f"exit {code}"))


if __name__ == "__main__":
    main()
