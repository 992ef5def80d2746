"""bfloat16 helpers, the dtype table, and the shipped copy of the manifest schema."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import bnm
from bnm._schema import ManifestSchema, load_schema
from conftest import BNM_FIXTURES, REPO, new_kinds_model
import bnmwrite as w


def test_bfloat16_widening_is_exact_for_all_65536_patterns() -> None:
    bits = np.arange(1 << 16, dtype=np.uint32).astype("<u2")
    values = bnm.bfloat16_to_float32(bits)
    assert values.dtype == np.dtype("<f4")
    expected = np.frombuffer(b"".join(struct.pack("<HH", 0, int(b)) for b in bits), dtype="<f4")
    assert np.array_equal(values.view("<u4"), expected.view("<u4"))  # bit for bit, NaN payloads too
    back = bnm.float32_to_bfloat16(values)
    finite = ~np.isnan(values)
    assert np.array_equal(back[finite], bits[finite])
    assert np.isnan(bnm.bfloat16_to_float32(back[~finite])).all()


def test_bfloat16_rounding_is_nearest_even() -> None:
    one = np.float32(1.0)
    ulp = np.float32(2.0 ** -7)  # bfloat16 spacing at 1.0
    cases = np.array([one + ulp / 2, one + ulp * 1.5, one + ulp * 0.75, -(one + ulp / 2), 3.0e38, np.inf], "<f4")
    got = bnm.bfloat16_to_float32(bnm.float32_to_bfloat16(cases))
    assert got[0] == one  # tie → even (1.0)
    assert got[1] == one + 2 * ulp  # tie → even (1 + 2 ulp)
    assert got[2] == one + ulp
    assert got[3] == -one
    assert np.isinf(got[4]) or got[4] > 3e38
    assert got[5] == np.inf
    with pytest.raises(TypeError):
        bnm.bfloat16_to_float32(np.zeros(3, np.float32))


def test_dtype_table_is_little_endian_and_complete() -> None:
    assert set(bnm.NUMPY_DTYPES) == {"f16", "bf16", "f32", "f64", "i8", "i16", "i32", "i64", "u8"}
    for name, dtype in bnm.NUMPY_DTYPES.items():
        assert dtype.str[0] in ("<", "|"), name
    assert bnm.DTYPE_SIZES == {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i8": 1, "i16": 2, "i32": 4, "i64": 8, "u8": 1}


@pytest.mark.parametrize("dtype", ["f16", "f32", "f64", "i8", "i16", "i32", "i64", "u8"])
def test_every_dtype_round_trips_bit_exactly(dtype: str, tmp_path) -> None:
    rng = np.random.default_rng(3)
    numpy_dtype = bnm.NUMPY_DTYPES[dtype]
    raw = rng.integers(0, 256, size=numpy_dtype.itemsize * 12, dtype=np.uint8).tobytes()
    array = np.frombuffer(raw, dtype=numpy_dtype).reshape(3, 4)
    layers = [{"name": "x", "kind": "input", "inbound": [], "attributes": {"shape": [1]}, "tensors": []},
              {"name": "u", "kind": "unmapped", "inbound": ["x"], "attributes": {"class_name": "C", "config": []},
               "tensors": [{"role": "v", "tensor": "u/v"}]}]
    path = tmp_path / "d.bnm"
    path.write_bytes(w.build(layers, {"u/v": array}))
    with bnm.open(path, verify=True) as f:
        got = f.get_tensor("u/v")
        assert got.dtype == numpy_dtype and got.tobytes() == raw


def test_shipped_schema_is_the_repository_schema() -> None:
    shipped = load_schema().root
    repository = json.loads((REPO / "schemas" / "bnm.schema.json").read_text(encoding="utf-8"))
    assert shipped == repository, "python/bnm/bnm.schema.json differs from schemas/bnm.schema.json: copy it again"


def test_schema_evaluator_refuses_keywords_it_does_not_implement() -> None:
    with pytest.raises(ValueError):
        ManifestSchema({"type": "object", "patternProperties": {}})


def _nodes(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, path + (index,))


def test_schema_agrees_with_jsonschema_when_available() -> None:
    """Random edits of real manifests: the package's evaluator and the reference `jsonschema`
    implementation accept and refuse the same ones (optional: needs jsonschema)."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema not installed: optional cross-check skipped")
    import copy
    import random

    schema = load_schema()
    validator = jsonschema.Draft202012Validator(schema.root)
    bases = [json.loads(w.split((BNM_FIXTURES / name).read_bytes())[1])
             for name in ("example.bnm", "defects/clean.bnm", "defects/clean_per_activation.bnm")]
    bases.append(w.manifest_of(w.build(*new_kinds_model())))  # conv2d groups, layer_norm
    # (No integer-valued floats such as 2.0: jsonschema counts them as integers, the format does not.)
    values = [None, True, False, 0, -1, 1.5, 64, 2 ** 53 + 1, "", "x", "relu", "spatial", [], [1], [1, 2],
              [1, 2, 3, 4], {}, {"name": "relu"}, {"name": "leaky_relu", "alpha": 0.1}, "gamma", ["gamma", "gamma"],
              ["beta"], "0a1b2c3d", "ZZ", "layer_norm", "reshape", 1e-6, -0.5, [-1, 2], [-1, -1], [-1, 2, -1],
              {"epsilon": 0.001}, {"epsilon": -0.5}, {"target_shape": [-1, -1]}, {"target_shape": [2, -1]}]
    rng = random.Random(5)
    valid = 0
    for _ in range(500):
        manifest = copy.deepcopy(rng.choice(bases))
        for _ in range(rng.choice([1, 1, 2])):
            path, _ = rng.choice(list(_nodes(manifest))[1:])
            parent = manifest
            for key in path[:-1]:
                parent = parent[key]
            roll = rng.random()
            if roll < 0.7:
                parent[path[-1]] = rng.choice(values)
            elif roll < 0.85 and isinstance(parent, dict):
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent["zz"] = 1
        ours = schema.valid(manifest)
        assert ours == validator.is_valid(manifest), manifest
        valid += ours
    assert 100 < valid < 400
