"""`python -m bnm dump` and the chunked statistics behind `--stats`."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Dict

import numpy as np
import pytest

import bnm
import bnmwrite as w
from conftest import BNM_FIXTURES


def dump(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bnm", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def mixed(tmp_path: Path) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    f32 = rng.standard_normal(1000).astype("<f4") * 3 + 1
    f32[[5, 500, 999]] = np.nan
    tensors = {
        "u/f32": f32.reshape(10, 100),
        "u/f16": rng.standard_normal((7, 9)).astype("<f2"),
        "u/bf16": bnm.float32_to_bfloat16(rng.standard_normal(333).astype("<f4")),
        "u/i64": rng.integers(-5, 50, size=(3, 3, 3)).astype("<i8"),
        "u/u8": rng.integers(0, 255, size=77).astype("u1"),
        "u/nan": np.full(4, np.nan, "<f8"),
        "u/empty": np.zeros((0,), "<f4"),
    }
    layers = [{"name": "x", "kind": "input", "inbound": [], "attributes": {"shape": [1]}, "tensors": []},
              {"name": "u", "kind": "unmapped", "inbound": ["x"], "attributes": {"class_name": "C", "config": {}},
               "tensors": [{"role": name.split("/")[1], "tensor": name} for name in tensors]}]
    path = tmp_path / "mixed.bnm"
    path.write_bytes(w.build(layers, tensors, dtypes={"u/bf16": "bf16"}))
    tensors["path"] = path  # type: ignore[assignment]
    return tensors


def _reference(values: np.ndarray) -> Dict[str, float]:
    data = values.astype(np.float64).ravel()
    nan = np.isnan(data)
    kept = data[~nan]
    return {"min": kept.min(), "max": kept.max(), "mean": kept.mean(), "std": kept.std(), "nan": int(nan.sum())}


@pytest.mark.parametrize("chunk", [2, 64, 1000, 4 << 20])
def test_stats_in_chunks_equal_numpy_on_the_whole_tensor(mixed: Dict[str, np.ndarray], chunk: int) -> None:
    with bnm.open(mixed["path"]) as f:  # type: ignore[arg-type]
        for name in f.keys():
            stats = bnm.tensor_stats(f, name, chunk_bytes=chunk)
            values = mixed[name]
            if f.tensor_info(name).dtype == "bf16":
                values = bnm.bfloat16_to_float32(values)
            assert stats.count == values.size
            if name in ("u/nan", "u/empty"):
                assert stats.min is None and stats.mean is None
                assert stats.nan_count == values.size if name == "u/nan" else stats.nan_count == 0
                continue
            ref = _reference(values)
            assert stats.nan_count == ref["nan"]
            assert stats.min == ref["min"] and stats.max == ref["max"]
            assert stats.mean == pytest.approx(ref["mean"], rel=1e-12, abs=1e-12)
            assert stats.std == pytest.approx(ref["std"], rel=1e-10)


def test_dump_prints_layers_and_tensors() -> None:
    path = BNM_FIXTURES / "defects" / "clean.bnm"
    result = dump("dump", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    with bnm.open(path) as f:
        for layer in f.layers:
            assert layer.name in out
        for name, info in f.tensors.items():
            assert name in out and info.crc32_hex in out
        assert "batch_norm (spatial)" in out
    assert result.stderr == ""


def test_dump_stats_and_one_tensor(mixed: Dict[str, np.ndarray]) -> None:
    result = dump("dump", str(mixed["path"]), "--stats", "--verify")
    assert result.returncode == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if line.strip().startswith("name"))
    assert header.split()[-5:] == ["min", "max", "mean", "std", "nan"]
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("u/f32 "))
    assert line.split()[-1] == "3"  # NaN count
    one = dump("dump", str(mixed["path"]), "--tensor", "u/i64", "--stats")
    assert one.returncode == 0, one.stderr
    assert "u/f32" not in one.stdout and "values (i64)" in one.stdout
    assert "layers:" not in one.stdout


def test_dump_json(mixed: Dict[str, np.ndarray]) -> None:
    result = dump("dump", str(mixed["path"]), "--json", "--stats")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [t["name"] for t in document["tensors"]] == [n for n in mixed if n != "path"]
    f32 = next(t for t in document["tensors"] if t["name"] == "u/f32")
    assert f32["stats"]["nan_count"] == 3
    assert math.isclose(f32["stats"]["mean"], _reference(mixed["u/f32"])["mean"], rel_tol=1e-12)
    assert document["layers"][1]["kind"] == "unmapped"


def test_dump_errors() -> None:
    bad = dump("dump", str(BNM_FIXTURES / "defects" / "truncated.bnm"))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("bnm: error: ") and "[FILE003]" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    crc = dump("dump", "--verify", str(BNM_FIXTURES / "defects" / "checksum_corrupted.bnm"))
    assert crc.returncode == 2 and "[FILE001]" in crc.stderr and "bn/variance" in crc.stderr
    missing = dump("dump", str(BNM_FIXTURES / "example.bnm"), "--tensor", "nope")
    assert missing.returncode == 2 and "[FILE005]" in missing.stderr
    usage = dump("dump")
    assert usage.returncode == 64
    assert dump().returncode == 64
    assert dump("frobnicate").returncode == 64
