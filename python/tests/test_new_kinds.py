"""conv2d `groups` and the `layer_norm` kind: the layer view shows them, the Swift reader sees
the same file, the numpy forward pass written from docs/FORMAT.md computes what the Swift
reference interpreter computes (`bnconvert verify`), and the schema keywords they brought
(`exclusiveMinimum`; `contains`/`maxContains` for reshape) are evaluated as `jsonschema` does.
The malformed variants are in test_malformed.py (CASES)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest

import bnm
import bnmwrite as w
from bnm._schema import ManifestSchema
from conftest import BNM_FIXTURES, new_kinds_model, run_cli, swift_inspect
from test_converted import run_model

CHANNELS_FIRST = {"source_format": "pytest", "source_version": "", "converter_version": "0",
                  "source_architecture": None, "extra": {"data_format": "channels_first"}}


@pytest.fixture
def new_kinds(tmp_path: Path) -> Path:
    layers, tensors = new_kinds_model()
    path = tmp_path / "new_kinds.bnm"
    # Outputs: the layer_norm on the map and the one on the vector. channels_first: verify then
    # takes and compares NCHW as it is.
    path.write_bytes(w.build(layers, tensors, outputs=["ln_bare", "ln_vec"], provenance=CHANNELS_FIRST))
    return path


def test_layer_view_shows_groups_and_epsilon(new_kinds: Path) -> None:
    with bnm.open(new_kinds, verify=True) as f:
        by_name = {layer.name: layer for layer in f.layers}
        assert [layer.kind for layer in f.layers] == ["input", "conv2d", "conv2d", "layer_norm", "layer_norm",
                                                       "global_avg_pool2d", "layer_norm"]
        assert by_name["gconv"].groups == 2 and by_name["gconv"].attributes["groups"] == 2
        assert by_name["conv1"].groups == 1 and "groups" not in by_name["conv1"].attributes  # absent = 1
        assert by_name["x"].groups is None and by_name["ln"].groups is None
        assert f.tensor_info("gconv/kernel").shape == (6, 2, 3, 3)  # [filters, C / groups, kh, kw]
        assert (by_name["ln"].epsilon, by_name["ln_bare"].epsilon, by_name["ln_vec"].epsilon) == (1e-3, 1e-6, 1e-5)
        assert by_name["ln"].tensors == {"gamma": "ln/gamma", "beta": "ln/beta"}
        assert by_name["ln_bare"].tensors == {} and by_name["ln_vec"].tensors == {"beta": "ln_vec/beta"}
        assert by_name["gconv"].epsilon is None and by_name["ln"].bn_mode is None
        assert f.get_float32("ln/gamma").shape == (1, 6, 1, 1)


def test_epsilon_of_the_other_normalisations(tmp_path: Path) -> None:
    layers = [{"name": "x", "kind": "input", "inbound": [], "attributes": {"shape": [2]}, "tensors": []},
              {"name": "n", "kind": "normalize", "inbound": ["x"], "attributes": {"epsilon": 1e-7},
               "tensors": [{"role": "mean", "tensor": "n/mean"}, {"role": "variance", "tensor": "n/variance"}]},
              {"name": "ln", "kind": "layer_norm", "inbound": ["n"], "attributes": {"epsilon": 2}, "tensors": []}]
    path = tmp_path / "n.bnm"
    path.write_bytes(w.build(layers, {"n/mean": np.zeros((1, 2, 1, 1), "<f4"), "n/variance": np.ones((1, 2, 1, 1), "<f4")}))
    with bnm.open(path) as f:
        assert f.layer("n").epsilon == 1e-7
        assert f.layer("ln").epsilon == 2.0 and isinstance(f.layer("ln").epsilon, float)
    with bnm.open(BNM_FIXTURES / "defects" / "clean.bnm") as f:
        assert f.layer("bn").epsilon == 0.001 and f.layer("conv").groups == 1


def test_dump_shows_groups(new_kinds: Path) -> None:
    import subprocess
    import sys

    text = subprocess.run([sys.executable, "-m", "bnm", "dump", str(new_kinds)], capture_output=True, text=True)
    assert text.returncode == 0, text.stderr
    assert "conv2d (groups 2)" in text.stdout and "groups=2" in text.stdout and "epsilon=0.001" in text.stdout
    assert "conv2d (groups 1)" not in text.stdout
    document = json.loads(subprocess.run([sys.executable, "-m", "bnm", "dump", "--json", str(new_kinds)],
                                         capture_output=True, text=True).stdout)
    layers = {layer["name"]: layer for layer in document["layers"]}
    assert (layers["gconv"]["groups"], layers["conv1"]["groups"], layers["ln"]["groups"]) == (2, 1, None)
    assert (layers["ln"]["epsilon"], layers["gconv"]["epsilon"]) == (1e-3, None)


def test_swift_reads_the_same(new_kinds: Path, bnconvert: Path) -> None:
    swift = swift_inspect(bnconvert, new_kinds)
    with bnm.open(new_kinds, verify=True) as f:
        assert f.manifest == swift
        for layer, raw in zip(f.layers, swift["model"]["layers"]):
            assert (layer.name, layer.kind, layer.attributes) == (raw["name"], raw["kind"], raw["attributes"])
    validate = run_cli(bnconvert, "validate", "--json", str(new_kinds))
    assert validate.returncode == 0 and json.loads(validate.stdout) == [], validate.stdout


def test_forward_pass_matches_the_swift_interpreter(new_kinds: Path, bnconvert: Path, tmp_path: Path) -> None:
    """The numpy pass of test_converted.py (grouped convolution: filter o reads the input
    channels of group o / (filters / groups); layer_norm over the channels with the biased
    variance) against Swift's reference interpreter, on both outputs."""
    x = np.random.default_rng(7).standard_normal((2, 4, 5, 5)).astype("<f4")
    with bnm.open(new_kinds, verify=True) as f:
        outputs = run_model(f, {"x": x})
    args = ["verify", str(new_kinds), "--json", "--input", str(tmp_path / "x.npy")]
    np.save(tmp_path / "x.npy", x)
    for name in ("ln_bare", "ln_vec"):
        np.save(tmp_path / f"{name}.npy", outputs[name].astype("<f4"))
        args += ["--expect", str(tmp_path / f"{name}.npy")]
    result = run_cli(bnconvert, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["passed"] is True
    # Reading the grouped kernel as an ordinary one's would not agree: group 1's filters on
    # group 0's channels.
    with bnm.open(new_kinds) as f:
        swapped = run_model(_SwappedGroups(f), {"x": x})
    np.save(tmp_path / "ln_bare.npy", swapped["ln_bare"].astype("<f4"))
    assert run_cli(bnconvert, *args).returncode == 1


class _SwappedGroups:
    """A BNMFile stand-in whose grouped kernel has its two groups of filters exchanged."""

    def __init__(self, f: bnm.BNMFile) -> None:
        self._f = f
        self.layers = f.layers
        self.metadata = f.metadata

    def get_float32(self, name: str) -> np.ndarray:
        array = self._f.get_float32(name)
        if name in ("gconv/kernel", "gconv/bias"):
            return np.concatenate([array[3:], array[:3]])
        return array


def test_relation_refused_in_swift_words(tmp_path: Path, bnconvert: Path) -> None:
    """groups must divide filters: no schema keyword says so; refused as Swift refuses it."""
    layers, tensors = new_kinds_model()
    layers[1]["attributes"]["groups"] = 4
    path = tmp_path / "g.bnm"
    path.write_bytes(w.build(layers, tensors))
    with pytest.raises(bnm.ManifestError) as caught:
        bnm.open(path)
    error = caught.value
    assert (error.code, error.kind, error.pointer) == ("FILE005", "manifestSchema", "/model/layers/1/attributes/groups")
    inspect = run_cli(bnconvert, "inspect", "--json", str(path))
    assert inspect.returncode == 2
    assert inspect.stderr.strip() == f"bnconvert: error: {error.message}"


@pytest.mark.parametrize("schema, instances", [
    ({"type": "number", "exclusiveMinimum": 0}, [1e-300, 5e-324, 0, 0.0, -0.0, -1, 1]),
    ({"type": "array", "contains": {"const": -1}}, [[], [-1], [1, -1], [1, 2]]),
    ({"type": "array", "contains": {"const": -1}, "minContains": 0, "maxContains": 1},
     [[], [-1], [3, -1, 2], [-1, -1], [-1, 2, -1], [-1.0, 4]]),
    ({"type": "array", "contains": {"const": -1}, "minContains": 2}, [[-1], [-1, -1], [-1, 0, -1, -1]]),
    ({"type": "array", "maxContains": 0}, [[], [-1]]),  # ignored without contains
])
def test_new_schema_keywords_agree_with_jsonschema(schema: Dict[str, Any], instances: list) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema not installed: optional cross-check skipped")
    ours = ManifestSchema(schema)
    reference = jsonschema.Draft202012Validator(schema)
    for instance in instances:
        assert ours.valid(instance) == reference.is_valid(instance), instance


def test_new_schema_keywords() -> None:
    """The same without jsonschema: what the format needs of them."""
    epsilon = ManifestSchema({"type": "number", "exclusiveMinimum": 0})
    assert epsilon.valid(1e-6) and not epsilon.valid(0) and not epsilon.valid(-0.0)
    target = ManifestSchema({"type": "array", "contains": {"const": -1}, "minContains": 0, "maxContains": 1})
    assert target.valid([]) and target.valid([2, -1]) and not target.valid([-1, 2, -1])
