#!/usr/bin/env python3
"""Models with very many tiny layers, for timing `bnconvert validate` and `inspect` at scale.

    many_layers.py N OUT_FOLDER                  manyN.h5 + manyN.json (tf_keras-style weights file
                                                 and its model.to_json()), for `bnconvert manyN.h5
                                                 manyN.bnm --config manyN.json`
    many_layers.py N OUT_FOLDER --bnm [--no-bias]
                                                 manyN.bnm written directly from docs/FORMAT.md
                                                 (no Keras provenance), for sizes whose conversion
                                                 is slow or whose Keras provenance would not fit
                                                 the 64 MiB manifest cap
    ... --measure BINARY                         then print the wall time and peak RSS of
                                                 `BINARY validate` and `BINARY inspect` on manyN.bnm
                                                 (converting manyN.h5 first when there is no .bnm)

The model is an InputLayer [None, 4] then N x Dense(4, linear). Keras splits a long
`layer_names` attribute into `layer_names0`, `layer_names1`, ... of at most 64 KiB each; so does
this script. Only h5py and numpy are needed (nothing for --bnm alone).

Sizes: a converted file carries the Keras provenance (source architecture, weight records, the
HDF5 skeleton), about 1.1 kB of manifest per layer, so the 64 MiB manifest cap is reached near
60,000 layers. Written directly, a layer with bias costs about 430 bytes (about 155,000 layers
fit) and one without about 290 bytes (200,000 fit with --no-bias).

This is a benchmark, not a test: nothing here fails on a slow time.
"""

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import time
import zlib

MAGIC = b"\x89BNM\r\n\x1a\n"
MAX_MANIFEST = 64 << 20
CONVENTIONS = {
    "activations": "NCHW",
    "conv_kernel": "OIHW",
    "depthwise_kernel": "[C*M, 1, KH, KW]",
    "dense_kernel": "[out, in]",
    "batch_norm_spatial": "[1, C, 1, 1]",
    "batch_norm_per_activation": "[1, C, H, W]",
    "flatten_order": "CHW",
    "byte_order": "little",
}


def write_keras(n, folder):
    import h5py
    import numpy as np

    layers = [{"class_name": "InputLayer",
               "config": {"name": "input", "batch_input_shape": [None, 4], "dtype": "float32"}}]
    for i in range(n):
        layers.append({"class_name": "Dense",
                       "config": {"name": f"d{i}", "units": 4, "activation": "linear", "use_bias": True}})
    with open(os.path.join(folder, f"many{n}.json"), "w") as f:
        json.dump({"class_name": "Sequential", "config": {"name": "many", "layers": layers},
                   "keras_version": "2.21.0"}, f)
    rng = np.random.default_rng(0)
    with h5py.File(os.path.join(folder, f"many{n}.h5"), "w") as f:
        names = [b"input"] + [f"d{i}".encode() for i in range(n)]
        # As tf_keras' save_attributes_to_hdf5_group: split into the fewest equal chunks that
        # are each under HDF5_OBJECT_HEADER_LIMIT (64512) bytes, as fixed-length byte strings.
        all_names = np.asarray(names)
        count = 1
        chunks = np.array_split(all_names, count)
        while any(chunk.nbytes > 64512 for chunk in chunks):
            count += 1
            chunks = np.array_split(all_names, count)
        if count == 1:
            f.attrs["layer_names"] = all_names
        else:
            for index, chunk in enumerate(chunks):
                f.attrs[f"layer_names{index}"] = chunk
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.21.0"
        f.create_group("input").attrs["weight_names"] = np.zeros((0,), "f8")
        for i in range(n):
            g = f.create_group(f"d{i}")
            g.attrs["weight_names"] = [f"d{i}/kernel:0".encode(), f"d{i}/bias:0".encode()]
            g.create_dataset(f"d{i}/kernel:0", data=rng.standard_normal((4, 4), dtype=np.float32))
            g.create_dataset(f"d{i}/bias:0", data=np.zeros(4, np.float32))


def write_bnm(n, folder, bias=True):
    """The .bnm a writer following docs/FORMAT.md produces, with a minimal provenance."""
    def dumps(value):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    kernel = struct.pack("<16f", *[(i % 7) * 0.25 - 0.75 for i in range(16)])
    bias_bytes = struct.pack("<4f", 0.5, -0.5, 0.25, 0.0)
    kernel_crc, bias_crc = zlib.crc32(kernel), zlib.crc32(bias_bytes)

    layer_texts = [dumps({"name": "input", "kind": "input", "inbound": [], "output_shape": [4],
                          "attributes": {"shape": [4]}, "tensors": []})]
    tensor_texts = []
    blobs = []
    offset = 0

    def add_tensor(name, shape, data, crc):
        nonlocal offset
        # Each tensor starts at the previous end rounded up to 64; the last is not padded.
        padding = -offset % 64
        blobs.append(b"\0" * padding + data)
        offset += padding
        tensor_texts.append(dumps({"name": name, "dtype": "f32", "shape": shape, "offset": offset,
                                   "length": len(data), "crc32": f"{crc:08x}"}))
        offset += len(data)

    previous = "input"
    for i in range(n):
        name = f"d{i}"
        tensors = [{"role": "kernel", "tensor": f"{name}/kernel"}]
        if bias:
            tensors.append({"role": "bias", "tensor": f"{name}/bias"})
        layer_texts.append(dumps({"name": name, "kind": "dense", "inbound": [previous], "output_shape": [4],
                                  "attributes": {"units": 4, "use_bias": bias, "activation": {"name": "linear"}},
                                  "tensors": tensors}))
        add_tensor(f"{name}/kernel", [4, 4], kernel, kernel_crc)
        if bias:
            add_tensor(f"{name}/bias", [4], bias_bytes, bias_crc)
        previous = name
    data = b"".join(blobs)

    head = dumps({"format": "bnm", "conventions": CONVENTIONS})[:-1]
    model = dumps({"name": "many", "inputs": ["input"], "outputs": [previous], "layout_notes": []})[:-1]
    provenance = dumps({"source_format": "many_layers.py", "source_version": "1", "converter_version": "many_layers.py",
                        "source_architecture": None, "extra": {}})
    manifest = (head + ',"model":' + model + ',"layers":[' + ",".join(layer_texts) + "]}"
                + ',"provenance":' + provenance + ',"tensors":[' + ",".join(tensor_texts) + "]}").encode()
    if len(manifest) > MAX_MANIFEST:
        sys.exit(f"many_layers.py: the manifest would be {len(manifest)} bytes, over the 64 MiB cap"
                 + ("; try --no-bias" if bias else ""))
    data_offset = (64 + len(manifest) + 63) // 64 * 64
    header = bytearray(64)
    header[0:8] = MAGIC
    struct.pack_into("<HHIQQQQI", header, 8, 1, 0, 0, 64, len(manifest), data_offset, len(data), zlib.crc32(manifest))
    struct.pack_into("<I", header, 60, zlib.crc32(bytes(header[:60])))
    path = os.path.join(folder, f"many{n}.bnm")
    with open(path, "wb") as f:
        f.write(header)
        f.write(manifest)
        f.write(b"\0" * (data_offset - 64 - len(manifest)))
        f.write(data)
    return path


def run(command):
    """Wall seconds and peak RSS (MiB) of one child, its output discarded; the exit status too."""
    before = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - before
    process.stderr.close()
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def measure(binary, n, folder, repeat):
    bnm = os.path.join(folder, f"many{n}.bnm")
    if not os.path.exists(bnm):
        h5, config = os.path.join(folder, f"many{n}.h5"), os.path.join(folder, f"many{n}.json")
        seconds, rss, status = run([binary, h5, bnm, "--config", config])
        print(f"convert   {n:>7} layers  {seconds:7.2f} s  {rss:7.0f} MiB  exit {status}")
    size = os.path.getsize(bnm)
    for command in ("validate", "inspect"):
        results = [run([binary, command, bnm]) for _ in range(repeat)]
        seconds, rss, status = min(results)
        print(f"{command:<9} {n:>7} layers  {seconds:7.2f} s  {rss:7.0f} MiB  exit {status}  "
              f"({size / 2**20:.1f} MiB file, best of {repeat})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of Dense layers")
    parser.add_argument("folder", help="where to write manyN.*")
    parser.add_argument("--bnm", action="store_true", help="write manyN.bnm directly instead of manyN.h5 + manyN.json")
    parser.add_argument("--no-bias", action="store_true", help="with --bnm: Dense layers without bias (smaller manifest)")
    parser.add_argument("--measure", metavar="BINARY", help="time BINARY validate / inspect on manyN.bnm")
    parser.add_argument("--repeat", type=int, default=3, help="with --measure: runs per command (best is printed)")
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    if args.bnm:
        write_bnm(args.n, args.folder, bias=not args.no_bias)
    else:
        write_keras(args.n, args.folder)
    if args.measure:
        measure(args.measure, args.n, args.folder, args.repeat)


if __name__ == "__main__":
    main()
