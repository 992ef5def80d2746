#!/usr/bin/env python3
"""Speed and memory of `bnconvert in.h5 out.bnm`, as ratios against baselines measured in
the same run on the same machine:

- `cp` of the input file: the I/O floor of any conversion;
- a plain numpy/h5py converter (read every dataset, transpose conv kernels to OIHW, write the
  bytes): what a user would script by hand, without checksums or streaming.

The model is synthetic but shaped like a real one: a tf_keras `save_weights` file of a
VGG-style stack (Conv2D 3×3 512→512 + BatchNormalization + ReLU blocks) with its
`model.to_json()` architecture, every value random. Only h5py and numpy are needed.

    swift build -c release --product bnconvert
    python3 scripts/benchmark.py [--blocks 24] [--repeats 3] [--binary .build/release/bnconvert]
"""
import argparse
import json
import os
import resource
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


NUMPY_CONVERTER = r"""
import sys, h5py, numpy as np
source, target = sys.argv[1], sys.argv[2]
with h5py.File(source, "r") as f, open(target, "wb") as out:
    for layer in f.attrs["layer_names"]:
        group = f[layer]
        for name in group.attrs["weight_names"]:
            value = group[name][()]
            if value.ndim == 4:
                value = np.ascontiguousarray(value.transpose(3, 2, 0, 1))
            elif value.ndim == 2:
                value = np.ascontiguousarray(value.T)
            out.write(value.tobytes())
"""


def measure(command):
    """Wall time and peak RSS (bytes) of one run of `command` in a fresh child."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")
    out = subprocess.run([sys.executable, "-c", probe] + command, check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=24)
    parser.add_argument("--channels", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "bnconvert"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as folder:
        weights, config, size = make_model(folder, args.blocks, args.channels, 16)
        runs = {
            "cp (I/O floor)": ["cp", weights, os.path.join(folder, "copy.h5")],
            "numpy/h5py script": [sys.executable, "-c", NUMPY_CONVERTER, weights, os.path.join(folder, "numpy.bin")],
            "bnconvert": [args.binary, weights, os.path.join(folder, "out.bnm"), "--config", config],
        }
        measure(runs["cp (I/O floor)"])  # warm the page cache for every contender alike
        results = {}
        for name, command in runs.items():
            samples = [measure(command) for _ in range(args.repeats)]
            results[name] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
        out_size = os.path.getsize(os.path.join(folder, "out.bnm"))
    mib = 1 << 20
    print(f"model: {args.blocks} × (Conv2D 3×3 {args.channels}→{args.channels} + BN), {size / mib:.0f} MiB of HDF5, "
          f".bnm {out_size / mib:.0f} MiB; median of {args.repeats} runs, peak RSS over them")
    base_time = results["cp (I/O floor)"][0]
    script_time, script_rss = results["numpy/h5py script"]
    for name, (seconds, rss) in results.items():
        print(f"  {name:20s} {seconds:7.3f} s  ({seconds / base_time:5.2f}× cp, {seconds / script_time:5.2f}× numpy)"
              f"  peak RSS {rss / mib:7.1f} MiB ({rss / size:5.2f}× model size)")


if __name__ == "__main__":
    main()
