#!/usr/bin/env python3
"""Speed and memory of bnconvert, as ratios against baselines measured in the same run on the
same machine, runs alternating (A B C A B C …), medians and peak RSS:

- `cp` of the input file: the I/O floor of any conversion;
- a plain numpy/h5py converter (read every dataset, transpose kernels, write the bytes): what a
  user would script by hand, without checksums, validation or streaming;
- `bnconvert in.h5 out.bnm`, then the reverse `out.bnm → back.h5` (against `cp` of the .bnm),
  `validate out.bnm` (GB/s of tensor data) and `inspect out.bnm` (against the process start-up,
  `bnconvert --version`).

Inputs (made once into --inputs, reused after):
- resnet50.h5: Keras 3 `keras.applications.ResNet50(weights=None)`, BN statistics randomised,
  full model (needs keras + TensorFlow);
- vgg16_bn_head.h5: tf_keras VGG16 base + Flatten + BatchNormalization + Dense 4096-4096-1000,
  full model; its largest tensor is the 25088×4096 dense kernel, 411 MB (needs tf_keras);
- big_head: a synthetic ~2.1 GB tf_keras weights file + config: Flatten of 8×8×256 → BN →
  Dense 16384 → Dense 16384 → Dense 10 (h5py only);
- vgg_blocks: a synthetic VGG-style stack of Conv2D 3×3 512→512 + BN (h5py only).
Where keras is missing, the application models are skipped with a note.

    swift build -c release --product bnconvert
    python3 scripts/benchmark.py [--repeats 5] [--inputs .build/bench-inputs] [--only resnet50,vgg16_bn_head]
    python3 scripts/benchmark.py --small     # CI: a tiny model, one run, proves the harness works
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_model(folder, blocks, channels, size):
    """Writes weights.h5 (tf_keras layout) and config.json; returns their paths and byte size."""
    rng = np.random.default_rng(7)
    layers = [{"class_name": "InputLayer", "config": {"name": "input", "batch_input_shape": [None, size, size, channels], "dtype": "float32"}}]
    weights = {}
    for index in range(blocks):
        conv, bn, relu = f"conv{index}", f"bn{index}", f"relu{index}"
        layers.append({"class_name": "Conv2D", "config": {"name": conv, "filters": channels, "kernel_size": [3, 3], "strides": [1, 1],
                                                         "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1],
                                                         "groups": 1, "activation": "linear", "use_bias": True}})
        layers.append({"class_name": "BatchNormalization", "config": {"name": bn, "axis": -1, "momentum": 0.99, "epsilon": 0.001,
                                                                     "center": True, "scale": True}})
        layers.append({"class_name": "Activation", "config": {"name": relu, "activation": "relu"}})
        weights[conv] = [("kernel:0", rng.standard_normal((3, 3, channels, channels), dtype=np.float32) / 48),
                         ("bias:0", rng.standard_normal(channels, dtype=np.float32))]
        weights[bn] = [(name, rng.uniform(0.5, 1.5, channels).astype(np.float32))
                       for name in ("gamma:0", "beta:0", "moving_mean:0", "moving_variance:0")]
        weights[relu] = []
    layers.append({"class_name": "GlobalAveragePooling2D", "config": {"name": "pool", "data_format": "channels_last"}})
    layers.append({"class_name": "Dense", "config": {"name": "head", "units": 10, "activation": "softmax", "use_bias": True}})
    weights["pool"] = []
    weights["head"] = [("kernel:0", rng.standard_normal((channels, 10), dtype=np.float32)), ("bias:0", np.zeros(10, np.float32))]
    config = {"class_name": "Sequential", "config": {"name": "bench", "layers": layers}, "keras_version": "2.21.0"}
    config_path = os.path.join(folder, "config.json")
    with open(config_path, "w") as f:
        json.dump(config, f)
    weights_path = os.path.join(folder, "weights.h5")
    with h5py.File(weights_path, "w") as f:
        f.attrs["layer_names"] = [name.encode() for name in weights]
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.21.0"
        for layer, variables in weights.items():
            group = f.create_group(layer)
            group.attrs["weight_names"] = [f"{layer}/{name}".encode() for name, _ in variables]
            for name, value in variables:
                group.create_dataset(f"{layer}/{name}", data=value)
    return weights_path, config_path, os.path.getsize(weights_path)


def make_big_head(folder, units=16384):
    """~2.1 GB synthetic tf_keras weights file: Flatten(8×8×256) → BN → Dense → Dense → Dense(10)."""
    config_path = os.path.join(folder, "big_head.config.json")
    weights_path = os.path.join(folder, "big_head.h5")
    if os.path.exists(weights_path):
        return weights_path, config_path
    features = 8 * 8 * 256
    layers = [{"class_name": "InputLayer", "config": {"name": "input", "batch_input_shape": [None, 8, 8, 256], "dtype": "float32"}},
              {"class_name": "Flatten", "config": {"name": "flatten", "data_format": "channels_last"}},
              {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": -1, "momentum": 0.99, "epsilon": 0.001,
                                                             "center": True, "scale": True}}]
    dense = [("dense1", features, units), ("dense2", units, units), ("logits", units, 10)]
    for name, _, out in dense:
        layers.append({"class_name": "Dense", "config": {"name": name, "units": out, "activation": "relu", "use_bias": True}})
    config = {"class_name": "Sequential", "config": {"name": "big_head", "layers": layers}, "keras_version": "2.21.0"}
    with open(config_path, "w") as f:
        json.dump(config, f)
    rng = np.random.default_rng(3)
    with h5py.File(weights_path + ".part", "w") as f:
        names = ["input", "flatten", "bn"] + [name for name, _, _ in dense]
        f.attrs["layer_names"] = [name.encode() for name in names]
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.21.0"
        for name in ("input", "flatten"):
            f.create_group(name).attrs["weight_names"] = np.zeros((0,), "f8")
        group = f.create_group("bn")
        bn = ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"]
        group.attrs["weight_names"] = [f"bn/{v}".encode() for v in bn]
        for v in bn:
            group.create_dataset(f"bn/{v}", data=rng.uniform(0.5, 1.5, features).astype(np.float32))
        for name, rows, out in dense:
            group = f.create_group(name)
            group.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
            kernel = group.create_dataset(f"{name}/kernel:0", shape=(rows, out), dtype="f4")
            for start in range(0, rows, 1024):  # written in slabs: the generator stays small too
                stop = min(rows, start + 1024)
                kernel[start:stop] = rng.standard_normal((stop - start, out), dtype=np.float32) / 128
            group.create_dataset(f"{name}/bias:0", data=np.zeros(out, np.float32))
    os.rename(weights_path + ".part", weights_path)
    return weights_path, config_path


def make_applications(folder):
    """The keras.applications inputs, made with the real Keras (in a child: TensorFlow is big)."""
    script = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
folder = sys.argv[1]
import numpy as np
rng = np.random.default_rng(1)
def randomise(model, bn_class):
    for layer in model.layers:
        if isinstance(layer, bn_class):
            g, b, m, v = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, g.shape).astype("f4"), rng.normal(0, .5, b.shape).astype("f4"),
                               rng.normal(0, .5, m.shape).astype("f4"), rng.uniform(0.5, 2, v.shape).astype("f4")])
path = os.path.join(folder, "resnet50.h5")
if not os.path.exists(path):
    import keras
    model = keras.applications.ResNet50(weights=None)
    randomise(model, keras.layers.BatchNormalization)
    model.save(path + ".part.h5"); os.rename(path + ".part.h5", path)
path = os.path.join(folder, "vgg16_bn_head.h5")
if not os.path.exists(path):
    import tf_keras as tk
    x = tk.Input((224, 224, 3))
    base = tk.applications.VGG16(weights=None, include_top=False, input_tensor=x)
    y = tk.layers.Flatten()(base.output)
    y = tk.layers.BatchNormalization()(y)
    y = tk.layers.Dense(4096, activation="relu")(y)
    y = tk.layers.Dense(4096, activation="relu")(y)
    y = tk.layers.Dense(1000, activation="softmax")(y)
    model = tk.Model(x, y)
    randomise(model, tk.layers.BatchNormalization)
    model.save(path + ".part.h5"); os.rename(path + ".part.h5", path)
"""
    result = subprocess.run([sys.executable, "-c", script, folder], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"note: keras.applications inputs not made ({result.stderr.strip().splitlines()[-1:]}); "
              f"install keras, tf_keras and tensorflow-cpu to include them", file=sys.stderr)
    return [(name, os.path.join(folder, name + ".h5"), None) for name in ("resnet50", "vgg16_bn_head")
            if os.path.exists(os.path.join(folder, name + ".h5"))]


NUMPY_CONVERTER = r"""
import sys, h5py, numpy as np
source, target = sys.argv[1], sys.argv[2]
with h5py.File(source, "r") as f, open(target, "wb") as out:
    root = f["model_weights"] if "model_weights" in f else f
    for layer in root.attrs["layer_names"]:
        group = root[layer]
        for name in group.attrs["weight_names"]:
            value = group[name][()]
            if value.ndim == 4:
                value = np.ascontiguousarray(value.transpose(3, 2, 0, 1))
            elif value.ndim == 2:
                value = np.ascontiguousarray(value.T)
            out.write(value.tobytes())
"""


def measure(command):
    """Wall time (s) and peak RSS (bytes) of one run of `command`, via GNU time."""
    started = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
    return elapsed, int(result.stderr.strip().splitlines()[-1]) * 1024


def tensor_bytes(binary, bnm):
    manifest = json.loads(subprocess.run([binary, "inspect", "--json", bnm], check=True, capture_output=True).stdout)
    return sum(entry["length"] for entry in manifest["tensors"])


def run_case(binary, label, source, config, scratch, repeats):
    out = os.path.join(scratch, label + ".bnm")
    convert = [binary, source, out] + (["--config", config] if config else [])
    groups = {
        "convert": {"cp": ["cp", source, os.path.join(scratch, "copy.h5")],
                    "numpy/h5py": [sys.executable, "-c", NUMPY_CONVERTER, source, os.path.join(scratch, "numpy.bin")],
                    "bnconvert": convert},
    }
    subprocess.run(convert, check=True, stderr=subprocess.DEVNULL)
    subprocess.run(["cat", source, out], stdout=subprocess.DEVNULL)  # warm the page cache alike
    groups["reverse"] = {"cp": ["cp", out, os.path.join(scratch, "copy.bnm")],
                         "bnconvert": [binary, out, os.path.join(scratch, "back.h5")]}
    groups["validate"] = {"bnconvert": [binary, "validate", out]}
    groups["inspect"] = {"start-up (--version)": [binary, "--version"], "bnconvert": [binary, "inspect", out]}
    results = {}
    for group, commands in groups.items():
        samples = {name: [] for name in commands}
        for _ in range(repeats):  # alternating: each contender sees the same machine state
            for name, command in commands.items():
                samples[name].append(measure(command))
        results[group] = {name: (statistics.median(s[0] for s in runs), max(s[1] for s in runs))
                          for name, runs in samples.items()}
    return results, os.path.getsize(source), tensor_bytes(binary, out)


def report(label, results, size, data):
    mib = 1 << 20
    print(f"\n{label}: {size / 1e6:.0f} MB")
    convert = results["convert"]
    cp, script = convert["cp"][0], convert["numpy/h5py"][0]
    for name, (seconds, rss) in convert.items():
        print(f"  convert  {name:22s} {seconds:8.3f} s  {seconds / cp:6.2f}× cp  {seconds / script:6.2f}× numpy  peak RSS {rss / mib:7.1f} MiB")
    reverse = results["reverse"]
    for name, (seconds, rss) in reverse.items():
        print(f"  reverse  {name:22s} {seconds:8.3f} s  {seconds / reverse['cp'][0]:6.2f}× cp                peak RSS {rss / mib:7.1f} MiB")
    seconds, rss = results["validate"]["bnconvert"]
    print(f"  validate {'bnconvert':22s} {seconds:8.3f} s  {data / seconds / 1e9:6.2f} GB/s of tensor data  peak RSS {rss / mib:7.1f} MiB")
    start = results["inspect"]["start-up (--version)"][0]
    seconds, rss = results["inspect"]["bnconvert"]
    print(f"  inspect  {'bnconvert':22s} {seconds * 1000:8.1f} ms ({(seconds - start) * 1000:+.1f} ms over start-up {start * 1000:.1f} ms)  peak RSS {rss / mib:7.1f} MiB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "bnconvert"))
    parser.add_argument("--inputs", default=os.path.join(ROOT, ".build", "bench-inputs"))
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--small", action="store_true", help="a tiny model, one run: proves the harness works (CI)")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    os.makedirs(args.inputs, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as scratch:
        if args.small:
            weights, config, _ = make_model(scratch, 2, 64, 8)
            cases = [("tiny", weights, config)]
            args.repeats = 1
        else:
            cases = make_applications(args.inputs)
            weights, config, _ = make_model(args.inputs, 24, 512, 16) if not os.path.exists(os.path.join(args.inputs, "weights.h5")) \
                else (os.path.join(args.inputs, "weights.h5"), os.path.join(args.inputs, "config.json"), 0)
            cases.append(("vgg_blocks", weights, config))
            cases.append(("big_head",) + make_big_head(args.inputs))
        if args.only:
            cases = [case for case in cases if case[0] in args.only.split(",")]
        print(f"bnconvert benchmark: {os.cpu_count()} cores, medians of {args.repeats} alternating runs, warm page cache")
        for label, source, config in cases:
            results, size, data = run_case(binary, label, source, config, scratch, args.repeats)
            report(label, results, size, data)
            for name in os.listdir(scratch):
                if not name.endswith(("weights.h5", "config.json")):
                    os.remove(os.path.join(scratch, name))


if __name__ == "__main__":
    main()
