"""Files the Swift CLI converts from the Keras fixtures (as scripts/fixture_hashes.py does):
read with verify=True, compared with what the Swift side reports (`bnconvert inspect --json`:
the manifest with each tensor's CRC-32), and run through a small numpy forward pass written
from docs/FORMAT.md alone, whose outputs must match Keras' own predictions (.expected.npy)."""

from __future__ import annotations

import json
import math
import zlib
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

import bnm
from conftest import KERAS_FIXTURES, keras_conversions, swift_inspect

IDS = [ident for ident, _, _, fixture in keras_conversions() if "refusal" not in fixture]


def test_every_fixture_converts(converted: Dict[str, Tuple[Path, Dict[str, Any]]]) -> None:
    assert sorted(converted) == sorted(IDS)


@pytest.mark.parametrize("ident", IDS)
def test_converted_file_matches_swift_inspect(ident: str, converted: Dict[str, Tuple[Path, Dict[str, Any]]],
                                              bnconvert: Path) -> None:
    path, _ = converted[ident]
    swift = swift_inspect(bnconvert, path)
    with bnm.open(path, verify=True) as f:
        assert f.manifest == swift
        assert f.keys() == [t["name"] for t in swift["tensors"]]
        for entry in swift["tensors"]:
            info = f.tensor_info(entry["name"])
            assert (info.dtype, list(info.shape), info.offset, info.length, info.crc32_hex) == (
                entry["dtype"], entry["shape"], entry["offset"], entry["length"], entry["crc32"])
            array = f.get_tensor(entry["name"])
            assert array.shape == tuple(entry["shape"])
            assert array.dtype == bnm.NUMPY_DTYPES[entry["dtype"]]
            assert array.nbytes == entry["length"]
            assert "%08x" % zlib.crc32(array.tobytes()) == entry["crc32"]
        layers = swift["model"]["layers"]
        assert [l.name for l in f.layers] == [l["name"] for l in layers]
        for layer, raw in zip(f.layers, layers):
            assert layer.kind == raw["kind"] and list(layer.inbound) == raw["inbound"]
            assert layer.attributes == raw["attributes"]
            assert layer.tensors == {t["role"]: t["tensor"] for t in raw["tensors"]}
            assert layer.output_shape == (tuple(raw["output_shape"]) if "output_shape" in raw else None)
            assert layer.bn_mode == (raw["attributes"]["mode"] if raw["kind"] == "batch_norm" else None)
            assert layer.groups == (raw["attributes"].get("groups", 1) if raw["kind"] == "conv2d" else None)
            assert layer.epsilon == (raw["attributes"]["epsilon"]
                                     if raw["kind"] in ("batch_norm", "normalize", "layer_norm") else None)
        assert f.metadata.name == swift["model"]["name"]
        assert list(f.metadata.inputs) == swift["model"]["inputs"]
        assert list(f.metadata.outputs) == swift["model"]["outputs"]
        provenance = swift["provenance"]
        assert f.metadata.provenance.source_format == provenance["source_format"]
        assert f.metadata.provenance.source_version == provenance["source_version"]
        assert f.metadata.provenance.converter_version == provenance["converter_version"]
        assert f.metadata.provenance.source_architecture == provenance["source_architecture"]
        assert f.metadata.provenance.extra == provenance["extra"]


def test_bfloat16_fixture(converted: Dict[str, Tuple[Path, Dict[str, Any]]]) -> None:
    path, _ = converted["bfloat16_weights.h5"]
    with bnm.open(path, verify=True) as f:
        bf16 = [name for name, info in f.tensors.items() if info.dtype == "bf16"]
        assert bf16
        for name in bf16:
            bits = f.get_tensor(name)
            assert bits.dtype == np.dtype("<u2")
            values = f.get_float32(name)
            assert values.dtype == np.float32 and values.shape == bits.shape
            assert np.array_equal(bnm.float32_to_bfloat16(values), bits)  # exact round trip


# MARK: a numpy forward pass, from docs/FORMAT.md


def _activation(x: np.ndarray, spec: Dict[str, Any]) -> np.ndarray:
    name = spec["name"]
    if name == "linear":
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "relu6":
        return np.clip(x, 0, 6)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "leaky_relu":
        return np.where(x >= 0, x, x * spec["alpha"])
    if name == "softmax":
        e = np.exp(x - x.max(axis=spec["axis"], keepdims=True))
        return e / e.sum(axis=spec["axis"], keepdims=True)
    if name == "swish":
        return x / (1 + np.exp(-x))
    if name == "hard_sigmoid":
        return np.clip(x / 6 + 0.5, 0, 1)
    if name == "gelu":
        if spec["approximate"]:
            return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
        from math import erf
        return 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))
    raise NotImplementedError(name)


def _pad(x: np.ndarray, padding: List[int], value: float = 0.0) -> np.ndarray:
    t, b, l, r = padding
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=value)


def _windows(x: np.ndarray, kh: int, kw: int, strides: List[int], dilation: List[int]):
    n, c, h, w = x.shape
    sh, sw = strides
    dh, dw = dilation
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw]


def _conv(x: np.ndarray, kernel: np.ndarray, a: Dict[str, Any], depthwise: bool = False, groups: int = 1) -> np.ndarray:
    x = _pad(x, a["padding"])
    kh, kw = kernel.shape[2:]
    out = None
    for i, j, patch in _windows(x, kh, kw, a["strides"], a["dilation"]):
        if depthwise:  # [C*M, 1, kh, kw]: output channel c*M + m reads input channel c
            m = kernel.shape[0] // patch.shape[1]
            term = np.repeat(patch, m, axis=1) * kernel[:, 0, i, j][None, :, None, None]
        else:  # [O, C / groups, kh, kw]: output channel o reads the input channels of group o / (O / groups)
            per_in, per_out = patch.shape[1] // groups, kernel.shape[0] // groups
            term = np.concatenate([
                np.einsum("nchw,oc->nohw", patch[:, g * per_in:(g + 1) * per_in],
                          kernel[g * per_out:(g + 1) * per_out, :, i, j]) for g in range(groups)], axis=1)
        out = term if out is None else out + term
    assert out is not None
    return out


def _pool(x: np.ndarray, a: Dict[str, Any], kind: str) -> np.ndarray:
    kh, kw = a["pool_size"]
    if kind == "max_pool2d":
        padded = _pad(x, a["padding"], -np.inf)
        return np.max([p for _, _, p in _windows(padded, kh, kw, a["strides"], [1, 1])], axis=0)
    total = sum(p for _, _, p in _windows(_pad(x, a["padding"]), kh, kw, a["strides"], [1, 1]))
    if a["count_includes_padding"]:
        return total / (kh * kw)
    ones = _pad(np.ones((1, 1) + x.shape[2:]), a["padding"])
    count = sum(p for _, _, p in _windows(ones, kh, kw, a["strides"], [1, 1]))
    return total / count


def run_model(f: bnm.BNMFile, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Runs every layer in float64; returns the outputs by layer name."""
    values: Dict[str, np.ndarray] = {}

    def t(layer: bnm.Layer, role: str) -> np.ndarray:
        return f.get_float32(layer.tensors[role]).astype(np.float64)

    for layer in f.layers:
        a = layer.attributes
        ins = [values[name] for name in layer.inbound]
        x = ins[0] if ins else None
        kind = layer.kind
        if kind == "input":
            y = inputs[layer.name].astype(np.float64)
        elif kind in ("conv2d", "depthwise_conv2d"):
            y = _conv(x, t(layer, "kernel" if kind == "conv2d" else "depthwise_kernel"), a, kind != "conv2d",
                      layer.groups or 1)
            if a["use_bias"]:
                y = y + t(layer, "bias")[None, :, None, None]
            y = _activation(y, a["activation"])
        elif kind == "separable_conv2d":
            y = _conv(x, t(layer, "depthwise_kernel"), a, True)
            y = np.einsum("nchw,oc->nohw", y, t(layer, "pointwise_kernel")[:, :, 0, 0])
            if a["use_bias"]:
                y = y + t(layer, "bias")[None, :, None, None]
            y = _activation(y, a["activation"])
        elif kind == "dense":
            y = x @ t(layer, "kernel").T
            if a["use_bias"]:
                y = y + t(layer, "bias")
            y = _activation(y, a["activation"])
        elif kind == "batch_norm":
            g, b, m, v = (t(layer, r) for r in ("gamma", "beta", "mean", "variance"))
            if x.ndim == 2:  # the head case: [1, C, 1, 1] over features
                g, b, m, v = (p.reshape(1, -1) for p in (g, b, m, v))
            y = g * (x - m) / np.sqrt(v + a["epsilon"]) + b
        elif kind == "layer_norm":  # over the channels (axis 1) at each position; biased variance
            mean = x.mean(axis=1, keepdims=True)
            variance = ((x - mean) ** 2).mean(axis=1, keepdims=True)
            y = (x - mean) / np.sqrt(variance + a["epsilon"])
            shape = (1, -1) + (1,) * (x.ndim - 2)
            if "gamma" in layer.tensors:
                y = y * t(layer, "gamma").reshape(shape)
            if "beta" in layer.tensors:
                y = y + t(layer, "beta").reshape(shape)
        elif kind == "normalize":
            m, v = t(layer, "mean"), t(layer, "variance")
            y = (x - m) / np.maximum(np.sqrt(v), a["epsilon"])
        elif kind == "activation":
            y = _activation(x, a["activation"])
        elif kind in ("max_pool2d", "avg_pool2d"):
            y = _pool(x, a, kind)
        elif kind in ("global_avg_pool2d", "global_max_pool2d"):
            y = (x.mean if kind == "global_avg_pool2d" else x.max)(axis=(2, 3), keepdims=a["keep_dims"])
        elif kind == "flatten":
            y = x.reshape(x.shape[0], -1)
        elif kind == "reshape":
            y = x.reshape((x.shape[0],) + tuple(a["target_shape"]))
        elif kind == "add":
            y = sum(ins)
        elif kind == "multiply":
            y = ins[0]
            for other in ins[1:]:
                y = y * other
        elif kind == "concatenate":
            y = np.concatenate(ins, axis=a["axis"])
        elif kind == "zero_padding2d":
            y = _pad(x, a["padding"])
        elif kind == "cropping2d":
            t_, b_, l_, r_ = a["cropping"]
            y = x[:, :, t_: x.shape[2] - b_, l_: x.shape[3] - r_]
        elif kind == "upsample2d":
            y = np.repeat(np.repeat(x, a["size"][0], axis=2), a["size"][1], axis=3)
        elif kind == "dropout":
            y = x
        elif kind == "rescale":
            y = x * a["scale"] + a["offset"]
        else:
            raise NotImplementedError(kind)
        if layer.output_shape is not None:
            assert y.shape[1:] == layer.output_shape, (layer.name, y.shape, layer.output_shape)
        values[layer.name] = y
    return {name: values[name] for name in f.metadata.outputs}


def _keras_order(output: np.ndarray, layout: Dict[str, Any]) -> np.ndarray:
    order = layout.get("flatten_order")
    if order is None:
        return output
    c, h, w = order["map_shape"]
    native = output.reshape(output.shape[0], c, h, w)
    return native.transpose([0] + [axis + 1 for axis in order["keras_axes"]]).reshape(output.shape[0], -1)


@pytest.mark.parametrize("ident", IDS)
def test_numpy_forward_pass_matches_keras(ident: str, converted: Dict[str, Tuple[Path, Dict[str, Any]]]) -> None:
    path, fixture = converted[ident]
    with bnm.open(path, verify=True) as f:
        extra = f.metadata.provenance.extra
        x = np.load(KERAS_FIXTURES / fixture["input"])
        if extra.get("data_format") == "channels_last" and x.ndim == 4:
            x = x.transpose(0, 3, 1, 2)
        assert len(f.metadata.inputs) == 1
        outputs = run_model(f, {f.metadata.inputs[0]: x})
        layouts = extra.get("keras_output_layouts") or {}
        for name, expected_file in zip(f.metadata.outputs, fixture["expected_outputs"]):
            expected = np.load(KERAS_FIXTURES / expected_file)
            layout = layouts.get(name)
            if layout is not None and "segments" in layout:
                continue  # a concatenation of differently flattened parts: not re-ordered here
            got = _keras_order(outputs[name], layout) if layout is not None else outputs[name]
            if got.ndim == 4 and extra.get("data_format") == "channels_last":
                got = got.transpose(0, 2, 3, 1)
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=f"{ident}: output {name}")
