"""Memory: loading one tensor of a large file costs that tensor, not the file.

A ~200 MB `.bnm` (three 64 MiB dense kernels plus biases) is written by the test writer in
4 MiB chunks; a fresh Python process opens it, takes one kernel and reads every element of it,
and reports its peak RSS (``ru_maxrss``) against its RSS just before opening. The budget is the
tensor's size + 32 MiB. `scripts/bnm_numpy.py`, which reads the whole file, needs more than the
file's size (443 MiB for a 208 MiB VGG16).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict

import numpy as np
import pytest

import bnmwrite as w
from conftest import REPORT

MiB = 1 << 20
SIDE = 4096  # a [4096, 4096] f32 kernel is 64 MiB
LAYERS = 3

CHILD = r"""
import json, resource, sys, time
def rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import numpy as np
import bnm
path, name, verify = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
baseline = rss_kib()
peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
with bnm.open(path, verify=verify) as f:
    tensor = f.get_tensor(name)
    total = float(tensor.sum(dtype=np.float64))   # touches every page of the tensor
    info = f.tensor_info(name)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"baseline_kib": baseline, "peak_before_kib": peak_before, "peak_kib": peak,
                  "tensor_bytes": info.length, "sum": total, "seconds": elapsed}))
"""


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, object]:
    path = tmp_path_factory.mktemp("big") / "big.bnm"
    layers = [{"name": "x", "kind": "input", "inbound": [], "output_shape": [SIDE], "attributes": {"shape": [SIDE]},
               "tensors": []}]
    specs = []
    row = np.arange(SIDE, dtype="<f4") / SIDE
    previous = "x"
    for index in range(LAYERS):
        name = f"fc{index}"
        layers.append({"name": name, "kind": "dense", "inbound": [previous], "output_shape": [SIDE],
                       "attributes": {"units": SIDE, "use_bias": True, "activation": {"name": "relu"}},
                       "tensors": [{"role": "kernel", "tensor": f"{name}/kernel"},
                                   {"role": "bias", "tensor": f"{name}/bias"}]})
        block = np.tile(row + index, 256).tobytes()  # 256 rows = 4 MiB
        specs.append((f"{name}/kernel", "f32", [SIDE, SIDE],
                      w.chunks_of(SIDE * SIDE * 4, len(block), lambda position, size, b=block: b[:size])))
        specs.append((f"{name}/bias", "f32", [SIDE], np.full(SIDE, index, "<f4").tobytes()))
        previous = name
    w.write_streaming(str(path), layers, specs)
    expected = float(SIDE * (np.float64(row).sum() + SIDE * 1))  # fc1: rows of (row + 1)
    return {"path": path, "size": path.stat().st_size, "expected_fc1_sum": expected}


def _measure(path: Path, name: str, verify: bool) -> Dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), name, "1" if verify else "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("verify", [False, True], ids=["open", "open-verify"])
def test_one_tensor_of_a_large_file_costs_that_tensor(big_file: Dict[str, object], verify: bool) -> None:
    started = time.perf_counter()
    path = big_file["path"]
    assert isinstance(path, Path)
    size = big_file["size"]
    assert isinstance(size, int) and 190 * MiB < size <= 300 * 1000 * 1000
    result = _measure(path, "fc1/kernel", verify)
    tensor = result["tensor_bytes"]
    assert tensor == SIDE * SIDE * 4
    assert result["sum"] == pytest.approx(big_file["expected_fc1_sum"], rel=1e-9)
    # ru_maxrss is the process's peak; the baseline is its RSS after importing numpy and bnm.
    growth = (result["peak_kib"] - result["baseline_kib"]) * 1024
    budget = tensor + 32 * MiB
    REPORT.append(
        f"memory ({'verify=True' if verify else 'verify=False'}): one {tensor / MiB:.0f} MiB tensor of a "
        f"{size / MiB:.0f} MiB .bnm: peak RSS {result['peak_kib'] / 1024:.1f} MiB = baseline "
        f"{result['baseline_kib'] / 1024:.1f} MiB (python+numpy+bnm) + {growth / MiB:.1f} MiB "
        f"(budget: tensor + 32 MiB = {budget / MiB:.0f} MiB); {result['seconds']:.2f} s")
    assert growth <= budget, f"peak RSS grew by {growth / MiB:.1f} MiB, budget {budget / MiB:.0f} MiB"
    assert time.perf_counter() - started < 20


NUMPY_SCRIPT_CHILD = r"""
import importlib.util, json, resource, sys
def rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
spec = importlib.util.spec_from_file_location("bnm_numpy", sys.argv[1])
module = importlib.util.module_from_spec(spec)
import numpy as np
spec.loader.exec_module(module)
baseline = rss_kib()
tensors = module.load(sys.argv[2])
total = float(tensors[sys.argv[3]].sum(dtype=np.float64))
print(json.dumps({"baseline_kib": baseline, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def test_negative_control_the_whole_file_reader_is_seen(big_file: Dict[str, object]) -> None:
    """The same measurement on scripts/bnm_numpy.py (reads the whole file into memory) must
    show the whole file: proof the harness would catch a reader that loads everything."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "bnm_numpy.py"
    if not script.exists():
        pytest.skip("scripts/bnm_numpy.py not found")
    path = big_file["path"]
    size = big_file["size"]
    assert isinstance(size, int)
    done = subprocess.run([sys.executable, "-c", NUMPY_SCRIPT_CHILD, str(script), str(path), "fc1/kernel"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    growth = (result["peak_kib"] - result["baseline_kib"]) * 1024
    REPORT.append(f"negative control: scripts/bnm_numpy.py loading the same file: peak RSS +{growth / MiB:.0f} MiB "
                  f"(file {size / MiB:.0f} MiB)")
    assert growth > size * 0.9
