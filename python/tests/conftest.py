"""Shared fixtures: repository paths, the Swift CLI (``$BNCONVERT``), converted Keras fixtures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import bnmwrite  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BNM_FIXTURES = REPO / "Tests" / "BNModelTests" / "Fixtures"
KERAS_FIXTURES = REPO / "Tests" / "KerasHDF5Tests" / "Fixtures"

# Lines printed at the end of the run (pytest_terminal_summary), e.g. the measured memory.
REPORT: List[str] = []


def bnconvert_path() -> Optional[Path]:
    """The Swift CLI: $BNCONVERT, default .build/debug/bnconvert (relative to the repository)."""
    configured = os.environ.get("BNCONVERT", ".build/debug/bnconvert")
    path = Path(configured)
    if not path.is_absolute():
        path = REPO / path
    return path if path.is_file() and os.access(path, os.X_OK) else None


NO_BINARY = ("Swift CLI not found at $BNCONVERT (default .build/debug/bnconvert): build it with `swift build` "
             "or set BNCONVERT to run the tests against Swift-written conversions")


@pytest.fixture(scope="session")
def bnconvert() -> Path:
    path = bnconvert_path()
    if path is None:
        pytest.skip(NO_BINARY)
    return path


def run_cli(tool: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(tool), *args], capture_output=True, text=True, timeout=120)


def swift_inspect(tool: Path, path: Path) -> Dict[str, Any]:
    """The manifest as the Swift reader reports it (`bnconvert inspect --json`)."""
    result = run_cli(tool, "inspect", "--json", str(path))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def swift_file_code(tool: Path, path: Path) -> Optional[str]:
    """What `bnconvert validate` says about a file's bytes: the first FILE* finding's code,
    "FILE008" when the file is unusable (exit 2), None when it has no FILE* finding."""
    result = run_cli(tool, "validate", "--json", str(path))
    if result.returncode == 2:
        return "FILE008"
    assert result.returncode in (0, 1), (result.returncode, result.stderr)
    findings = json.loads(result.stdout) if result.stdout.strip() else []
    codes = [f["code"] for f in findings if f["code"].startswith("FILE")]
    return codes[0] if codes else None


def keras_conversions() -> List[Tuple[str, Path, Optional[Path], Dict[str, Any]]]:
    """(id, Keras file, --config or None, fixture entry) for every Keras fixture file."""
    manifest = json.loads((KERAS_FIXTURES / "manifest.json").read_text())
    cases = []
    for fixture in manifest["fixtures"]:
        for entry in fixture["files"]:
            config = None if entry["kind"] == "full_model_h5" else KERAS_FIXTURES / fixture["config"]
            cases.append((entry["file"].replace("/", "_"), KERAS_FIXTURES / entry["file"], config, fixture))
    return cases


@pytest.fixture(scope="session")
def converted(bnconvert: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Tuple[Path, Dict[str, Any]]]:
    """Every Keras fixture converted to .bnm by the Swift CLI (as scripts/fixture_hashes.py
    does): id → (.bnm path, fixture entry). Refused conversions are left out."""
    out_dir = tmp_path_factory.mktemp("converted")
    result: Dict[str, Tuple[Path, Dict[str, Any]]] = {}
    for ident, source, config, fixture in keras_conversions():
        out = out_dir / (ident + ".bnm")
        args = [str(source), str(out), "--force"]
        if config is not None:
            args += ["--config", str(config)]
        done = run_cli(bnconvert, *args)
        if done.returncode == 0 and out.exists():
            result[ident] = (out, fixture)
    return result


def dense_model(units: List[int], features: int, dtype: str = "f32", seed: int = 0,
                name: str = "m") -> Tuple[List[Dict[str, Any]], Dict[str, np.ndarray]]:
    """Layers and tensors of a small valid model: input [features] then dense layers."""
    rng = np.random.default_rng(seed)
    layers: List[Dict[str, Any]] = [{"name": "x", "kind": "input", "inbound": [], "output_shape": [features],
                                     "attributes": {"shape": [features]}, "tensors": []}]
    tensors: Dict[str, np.ndarray] = {}
    previous, width = "x", features
    for index, unit in enumerate(units):
        layer = f"fc{index}"
        layers.append({"name": layer, "kind": "dense", "inbound": [previous], "output_shape": [unit],
                       "attributes": {"units": unit, "use_bias": True, "activation": {"name": "relu"}},
                       "tensors": [{"role": "kernel", "tensor": f"{layer}/kernel"},
                                   {"role": "bias", "tensor": f"{layer}/bias"}]})
        numpy_dtype = {"f32": "<f4", "f16": "<f2", "f64": "<f8"}[dtype]
        tensors[f"{layer}/kernel"] = rng.standard_normal((unit, width)).astype(numpy_dtype)
        tensors[f"{layer}/bias"] = rng.standard_normal(unit).astype(numpy_dtype)
        previous, width = layer, unit
    return layers, tensors


def bn_model(channels: int = 4, seed: int = 1) -> Tuple[List[Dict[str, Any]], Dict[str, np.ndarray]]:
    """input [C, 3, 3] → spatial batch norm."""
    rng = np.random.default_rng(seed)
    layers = [
        {"name": "x", "kind": "input", "inbound": [], "output_shape": [channels, 3, 3],
         "attributes": {"shape": [channels, 3, 3]}, "tensors": []},
        {"name": "bn", "kind": "batch_norm", "inbound": ["x"], "output_shape": [channels, 3, 3],
         "attributes": {"mode": "spatial", "epsilon": 1.001e-05, "momentum": 0.99, "materialized": []},
         "tensors": [{"role": r, "tensor": f"bn/{r}"} for r in ("gamma", "beta", "mean", "variance")]},
    ]
    tensors = {f"bn/{r}": rng.random((1, channels, 1, 1)).astype("<f4") for r in ("gamma", "beta", "mean", "variance")}
    return layers, tensors


def new_kinds_model(seed: int = 3) -> Tuple[List[Dict[str, Any]], Dict[str, np.ndarray]]:
    """input [4, 5, 5] → conv2d "gconv" with groups 2 (6 filters, kernel [6, 2, 3, 3]) → conv2d
    "conv1" without groups (an ordinary 1×1 convolution) → layer_norm "ln" with gamma and beta
    → layer_norm "ln_bare" without tensors → global average pool → layer_norm "ln_vec" on the
    [6] vector with beta only. Valid in every respect (`bnconvert validate` finds nothing)."""
    rng = np.random.default_rng(seed)

    def conv(name: str, inbound: str, kernel: int, groups: Optional[int]) -> Dict[str, Any]:
        attributes: Dict[str, Any] = {"filters": 6, "kernel_size": [kernel, kernel], "strides": [1, 1],
                                      "dilation": [1, 1], "padding": [kernel // 2] * 4, "use_bias": True,
                                      "activation": {"name": "relu"}}
        if groups is not None:
            attributes["groups"] = groups
        return {"name": name, "kind": "conv2d", "inbound": [inbound], "output_shape": [6, 5, 5], "attributes": attributes,
                "tensors": [{"role": "kernel", "tensor": f"{name}/kernel"}, {"role": "bias", "tensor": f"{name}/bias"}]}

    def norm(name: str, inbound: str, shape: List[int], epsilon: float, roles: List[str]) -> Dict[str, Any]:
        return {"name": name, "kind": "layer_norm", "inbound": [inbound], "output_shape": shape,
                "attributes": {"epsilon": epsilon}, "tensors": [{"role": r, "tensor": f"{name}/{r}"} for r in roles]}

    layers = [
        {"name": "x", "kind": "input", "inbound": [], "output_shape": [4, 5, 5], "attributes": {"shape": [4, 5, 5]},
         "tensors": []},
        conv("gconv", "x", 3, 2),
        conv("conv1", "gconv", 1, None),
        norm("ln", "conv1", [6, 5, 5], 1e-3, ["gamma", "beta"]),
        norm("ln_bare", "ln", [6, 5, 5], 1e-6, []),
        {"name": "gap", "kind": "global_avg_pool2d", "inbound": ["ln_bare"], "output_shape": [6],
         "attributes": {"keep_dims": False}, "tensors": []},
        norm("ln_vec", "gap", [6], 1e-5, ["beta"]),
    ]
    shapes = {"gconv/kernel": (6, 2, 3, 3), "gconv/bias": (6,), "conv1/kernel": (6, 6, 1, 1), "conv1/bias": (6,),
              "ln/gamma": (1, 6, 1, 1), "ln/beta": (1, 6, 1, 1), "ln_vec/beta": (1, 6, 1, 1)}
    tensors = {name: rng.standard_normal(shape).astype("<f4") for name, shape in shapes.items()}
    return layers, tensors


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    """A valid three-tensor dense model written by the test writer."""
    layers, tensors = dense_model([3, 2], 5)
    path = tmp_path / "small.bnm"
    path.write_bytes(bnmwrite.build(layers, tensors))
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.write_sep("-", "bnm measurements")
        for line in REPORT:
            terminalreporter.write_line(line)
