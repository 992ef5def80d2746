#!/usr/bin/env python3
"""Interop check with real Keras: every Keras fixture is converted to .bnm and back to HDF5 by
bnconvert, and the file written back is loaded by the library that wrote the original
(Keras 3 or tf_keras), whose predictions must equal those it made from the original.

Needs TensorFlow (pip install tensorflow-cpu tf_keras keras h5py numpy), so it is run by hand
(README, "Testing"), not in CI:

    swift build -c release && python3 scripts/check_keras_loads.py .build/release/bnconvert
"""
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "KerasHDF5Tests", "Fixtures")


def load(library, kind, path, config_path):
    if library == "tf_keras":
        import tf_keras as k
    else:
        import keras as k
    if kind == "full_model_h5" or path.endswith(".keras"):
        return k.models.load_model(path, compile=False)
    with open(config_path) as f:
        model = k.models.model_from_json(f.read())
    model.load_weights(path)
    return model


def main(binary):
    manifest = json.load(open(os.path.join(FIXTURES, "manifest.json")))
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for entry in manifest["fixtures"]:
            if entry.get("refusal"):
                continue  # a model the converter must refuse
            for item in entry["files"]:
                name, kind = item["file"], item["kind"]
                source = os.path.join(FIXTURES, name)
                config = os.path.join(FIXTURES, entry["config"]) if entry.get("config") else None
                bnm = os.path.join(tmp, name + ".bnm")
                keras3 = kind in ("keras3_weights_h5", "keras_archive")  # Keras 3's layout: a .weights.h5 name
                back = os.path.join(tmp, name.replace(".weights.h5", "").replace(".keras", "") + (".back.weights.h5" if keras3 else ".back.h5"))
                args = [binary, source, bnm] + (["--config", config] if kind not in ("full_model_h5", "keras_archive") else [])
                subprocess.run(args, check=True, capture_output=True)
                subprocess.run([binary, bnm, back], check=True, capture_output=True)
                x = np.load(os.path.join(FIXTURES, entry["input"]))
                try:
                    original = load(entry["library"], kind, source, config).predict(x, verbose=0)
                except Exception as error:  # Keras cannot read its own file: nothing to compare with
                    print(f"skip {name}: Keras cannot load the original either ({error})")
                    continue
                try:
                    restored = load(entry["library"], kind, back, config).predict(x, verbose=0)
                except Exception as error:  # report and go on: one fixture must not hide the others
                    print(f"FAIL {name}: Keras could not load the file written back: {error}")
                    failures += 1
                    continue
                pairs = zip(original, restored) if isinstance(original, list) else [(original, restored)]
                same = all(np.array_equal(a, b) for a, b in pairs)
                checked += 1
                print(f"{'ok  ' if same else 'FAIL'} {name} ({entry['library']}, {kind}): predictions {'identical' if same else 'differ'}")
                failures += 0 if same else 1
                # A model from the Keras 3 weights layout also goes back as a .keras archive.
                if kind in ("keras3_weights_h5", "keras_archive"):
                    archive = os.path.join(tmp, name + ".back.keras")
                    subprocess.run([binary, bnm, archive], check=True, capture_output=True)
                    try:
                        restored = load(entry["library"], kind, archive, config).predict(x, verbose=0)
                    except Exception as error:
                        print(f"FAIL {name} -> .keras: Keras could not load the archive written back: {error}")
                        failures += 1
                        continue
                    pairs = zip(original, restored) if isinstance(original, list) else [(original, restored)]
                    same = all(np.array_equal(a, b) for a, b in pairs)
                    checked += 1
                    print(f"{'ok  ' if same else 'FAIL'} {name} -> .keras ({entry['library']}): predictions {'identical' if same else 'differ'}")
                    failures += 0 if same else 1
    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "bnconvert")))
