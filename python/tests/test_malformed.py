"""Strict reading: every malformed file raises BNMError with the FILE* code the Swift side
reports. Each case is checked against a fixed expectation and, when the Swift CLI is available,
against `bnconvert validate` on the very same bytes."""

from __future__ import annotations

import json
import random
import struct
import zlib
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import pytest

import bnm
import bnmwrite as w
from conftest import BNM_FIXTURES, bn_model, bnconvert_path, dense_model, new_kinds_model, run_cli, swift_file_code

CLEAN = (BNM_FIXTURES / "defects" / "clean.bnm").read_bytes()


def _small() -> bytes:
    layers, tensors = dense_model([3, 2], 5)
    return w.build(layers, tensors)


SMALL = _small()


def _edit(edit: Callable[[dict], None], blob: bytes = SMALL, **options: int) -> bytes:
    manifest = w.manifest_of(blob)
    edit(manifest)
    return w.with_manifest(blob, manifest, **options)


def _raw_manifest(text: bytes, blob: bytes = SMALL) -> bytes:
    return w.with_manifest(blob, text)


def _set(path: List, value: object) -> Callable[[dict], None]:
    def edit(manifest: dict) -> None:
        node = manifest
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


def _crc_of_manifest_fixed(blob: bytes) -> bytes:
    fields, raw, _ = w.split(blob)
    return w.patch_header(blob, manifest_crc32=zlib.crc32(raw))


def _swap_tensor_order(manifest: dict) -> None:
    t = manifest["tensors"]
    t[0]["offset"], t[1]["offset"] = t[1]["offset"], t[0]["offset"]


def _overlap(manifest: dict) -> None:
    t = manifest["tensors"]
    t[1]["offset"] = 0


def _shift_last(manifest: dict) -> None:
    manifest["tensors"][-1]["offset"] += 64


def _misalign(manifest: dict) -> None:
    manifest["tensors"][1]["offset"] += 4


def _len_mismatch(manifest: dict) -> None:
    manifest["tensors"][0]["length"] += 4


def _dup_name(manifest: dict) -> None:
    manifest["tensors"][1]["name"] = manifest["tensors"][0]["name"]


def _unknown_ref(manifest: dict) -> None:
    manifest["model"]["layers"][1]["tensors"][0]["tensor"] = "ghost"


def _unused(manifest: dict) -> None:
    manifest["model"]["layers"][1]["tensors"].pop()
    manifest["model"]["layers"][1]["attributes"]["use_bias"] = False


def _twice(manifest: dict) -> None:
    manifest["model"]["layers"][2]["tensors"][1]["tensor"] = manifest["model"]["layers"][1]["tensors"][1]["tensor"]


def _dup_role(manifest: dict) -> None:
    manifest["model"]["layers"][1]["tensors"][1]["role"] = "kernel"


def _later_inbound(manifest: dict) -> None:
    manifest["model"]["layers"][1]["inbound"] = ["fc1"]


def _dup_layer(manifest: dict) -> None:
    manifest["model"]["layers"][2]["name"] = "fc0"
    manifest["model"]["layers"][2]["inbound"] = ["fc0"]
    manifest["model"]["outputs"] = ["fc0"]


def _input_not_input(manifest: dict) -> None:
    manifest["model"]["inputs"] = ["fc0"]


def _output_missing(manifest: dict) -> None:
    manifest["model"]["outputs"] = ["nothing"]


def _unknown_member(manifest: dict) -> None:
    manifest["model"]["layers"][1]["attributes"]["groups"] = 1


def _unknown_top(manifest: dict) -> None:
    manifest["extension"] = {}


def _bad_kind(manifest: dict) -> None:
    manifest["model"]["layers"][1]["kind"] = "lstm"


def _missing_member(manifest: dict) -> None:
    del manifest["provenance"]["converter_version"]


def _bad_activation(manifest: dict) -> None:
    manifest["model"]["layers"][1]["attributes"]["activation"] = {"name": "leaky_relu"}


def _bad_crc_text(manifest: dict) -> None:
    manifest["tensors"][0]["crc32"] = manifest["tensors"][0]["crc32"].upper() if any(
        c in "abcdef" for c in manifest["tensors"][0]["crc32"]) else "ABCDEF12"


def _bad_dtype(manifest: dict) -> None:
    manifest["tensors"][0]["dtype"] = "f128"


def _shape_overflow(manifest: dict) -> None:
    manifest["tensors"][0]["shape"] = [2 ** 40, 2 ** 40]


def _zero_overflow(manifest: dict) -> None:
    manifest["tensors"][-1]["shape"] = [2 ** 40, 2 ** 40, 0]
    manifest["tensors"][-1]["length"] = 0  # what a product with a 0 would give


def _huge_dim(manifest: dict) -> None:
    manifest["tensors"][0]["shape"] = [2 ** 53 + 1]


def _two_minus_one(manifest: dict) -> None:
    manifest["model"]["layers"].append({"name": "r", "kind": "reshape", "inbound": ["fc1"],
                                        "attributes": {"target_shape": [-1, -1]}, "tensors": []})


def _format_name(manifest: dict) -> None:
    manifest["format"] = "gguf"


def _data_length_short(blob: bytes) -> bytes:
    fields, raw, data = w.split(blob)
    return w.patch_header(blob, data_length=fields["data_length"] + 64) + bytes(64)


def _tensor_byte_flip(blob: bytes) -> bytes:
    fields, _, data = w.split(blob)
    position = fields["data_offset"] + 3
    return blob[:position] + bytes([blob[position] ^ 0x10]) + blob[position + 1:]


def _padding_byte(blob: bytes) -> bytes:
    fields, raw, data = w.split(blob)
    manifest = json.loads(raw)
    first = manifest["tensors"][0]
    position = fields["data_offset"] + first["offset"] + first["length"]
    assert manifest["tensors"][1]["offset"] > first["offset"] + first["length"]
    return blob[:position] + b"\x01" + blob[position + 1:]


def _manifest_padding_byte(blob: bytes) -> bytes:
    fields, _, _ = w.split(blob)
    position = fields["manifest_offset"] + fields["manifest_length"]
    assert fields["data_offset"] > position
    return blob[:position] + b"\x20" + blob[position + 1:]


def _reserved(blob: bytes) -> bytes:
    return w.refix_header_crc(blob[:55] + b"\x01" + blob[56:])


def _put(blob: bytes, offset: int, raw: bytes) -> bytes:
    return blob[:offset] + raw + blob[offset + len(raw):]


# name → (the bytes, the expected code: None = reads and verifies cleanly)
CASES: Dict[str, Tuple[Callable[[], bytes], Optional[str]]] = {
    "clean": (lambda: SMALL, None),
    "empty": (lambda: b"", "FILE003"),
    "magic only": (lambda: SMALL[:8], "FILE003"),
    "11 bytes": (lambda: SMALL[:11], "FILE003"),
    "12 bytes": (lambda: SMALL[:12], "FILE003"),
    "63 bytes": (lambda: SMALL[:63], "FILE003"),
    "header only": (lambda: SMALL[:64], "FILE003"),
    "cut in the manifest": (lambda: SMALL[:100], "FILE003"),
    "cut in the data": (lambda: SMALL[:-1], "FILE003"),
    "trailing byte": (lambda: SMALL + b"\0", "FILE003"),
    "not bnm": (lambda: b"PK\x03\x04" + bytes(100), "FILE008"),
    "text": (lambda: b"hello world, this is text\n" * 4, "FILE008"),
    "7-bit": (lambda: b"\x09" + SMALL[1:], "FILE007"),
    "CRLF to LF": (lambda: SMALL[:4] + b"\n\x1a\n" + SMALL[8:], "FILE007"),
    "LF to CRLF": (lambda: SMALL[:4] + b"\r\r\n\x1a\r\n" + SMALL[8:], "FILE007"),
    "LF to CRLF, CR kept": (lambda: SMALL[:4] + b"\r\n\x1a\r\n" + SMALL[8:], "FILE007"),
    "damaged magic, other": (lambda: b"\x89BNX" + SMALL[4:], "FILE008"),
    "major 2": (lambda: w.patch_header(SMALL, major=2), "FILE008"),
    "major 2, header CRC stale": (lambda: w.patch_header(SMALL, fix_crc=False, major=2), "FILE008"),
    "major 0": (lambda: w.patch_header(SMALL, major=0), "FILE008"),
    "required flag": (lambda: w.patch_header(SMALL, flags=1), "FILE008"),
    "optional flag": (lambda: w.patch_header(SMALL, flags=1 << 16), None),
    "header CRC": (lambda: _put(SMALL, 60, b"\0\0\0\0"), "FILE002"),
    "header field, CRC stale": (lambda: w.patch_header(SMALL, fix_crc=False, data_length=1), "FILE002"),
    "reserved byte": (lambda: _reserved(SMALL), "FILE006"),
    "manifest CRC": (lambda: w.patch_header(SMALL, manifest_crc32=1), "FILE002"),
    "manifest byte flipped": (lambda: _put(SMALL, 70, b"X"), "FILE002"),
    "manifest_offset 0": (lambda: w.patch_header(SMALL, manifest_offset=0), "FILE003"),
    "manifest_offset 128": (lambda: w.patch_header(SMALL, manifest_offset=128), "FILE003"),
    "manifest_offset 2^60": (lambda: w.patch_header(SMALL, manifest_offset=1 << 60), "FILE003"),
    "manifest too large": (lambda: w.patch_header(SMALL, manifest_length=(64 << 20) + 1), "FILE003"),
    "manifest_length 2^64-1": (lambda: w.patch_header(SMALL, manifest_length=2 ** 64 - 1), "FILE003"),
    "data_offset unaligned": (lambda: w.patch_header(SMALL, data_offset=w.split(SMALL)[0]["data_offset"] + 8), "FILE004"),
    "data_offset inside manifest": (lambda: w.patch_header(SMALL, data_offset=64), "FILE003"),
    "data_offset 64 too far": (lambda: w.patch_header(SMALL, data_offset=w.split(SMALL)[0]["data_offset"] + 64), "FILE003"),
    "data_offset 2^64-64": (lambda: w.patch_header(SMALL, data_offset=2 ** 64 - 64), "FILE003"),
    "data_length 2^53+1": (lambda: w.patch_header(SMALL, data_length=2 ** 53 + 1), "FILE003"),
    "data_length 2^64-1": (lambda: w.patch_header(SMALL, data_length=2 ** 64 - 1), "FILE003"),
    "data_length past tensors": (lambda: _data_length_short(SMALL), "FILE003"),
    "not JSON": (lambda: _raw_manifest(b"{not json"), "FILE005"),
    "not UTF-8": (lambda: _raw_manifest(b'{"format":"bn\xffm"}'), "FILE005"),
    "BOM": (lambda: _raw_manifest(b"\xef\xbb\xbf" + w.split(SMALL)[1]), "FILE005"),
    "trailing comma": (lambda: _raw_manifest(w.split(SMALL)[1][:-1] + b",}"), "FILE005"),
    "comment": (lambda: _raw_manifest(b"/*c*/" + w.split(SMALL)[1]), "FILE005"),
    "trailing text": (lambda: _raw_manifest(w.split(SMALL)[1] + b" x"), "FILE005"),
    "duplicate key": (lambda: _raw_manifest(b'{"format":"bnm",' + w.split(SMALL)[1][1:]), "FILE005"),
    "NaN": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"use_bias":true', b'"use_bias":NaN', 1)), "FILE005"),
    "1e999": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"offset":0', b'"offset":1e999', 1)), "FILE005"),
    "integer written 0.0": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"offset":0', b'"offset":0.0', 1)), "FILE005"),
    "integer written 0e0": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"offset":0', b'"offset":0e0', 1)), "FILE005"),
    "integer too large for a double": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"extra":{}', b'"extra":{"x":1' + b"0" * 400 + b'}', 1)), "FILE005"),
    "large integer in extra ok": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"extra":{}', b'"extra":{"x":1' + b"0" * 300 + b'}', 1)), None),
    "leading zero": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"offset":0', b'"offset":00', 1)), "FILE005"),
    "long number": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"offset":0', b'"offset":' + b"0." + b"0" * 2000, 1)), "FILE005"),
    "lone surrogate": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"name":"m"', b'"name":"\\ud800"', 1)), "FILE005"),
    "surrogate pair ok": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"name":"m"', b'"name":"\\ud83d\\ude00"', 1)), None),
    "control char": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"name":"m"', b'"name":"a\tb"', 1)), "FILE005"),
    "nested 600 deep": (lambda: _edit(_set(["provenance", "extra", "deep"], json.loads("[" * 600 + "]" * 600))), "FILE005"),
    "nested 500 deep ok": (lambda: _edit(_set(["provenance", "extra", "deep"], json.loads("[" * 500 + "]" * 500))), None),
    "lone surrogate 500 deep": (lambda: _raw_manifest(w.split(SMALL)[1].replace(b'"extra":{}', b'"extra":{"deep":' + b"[" * 499 + b'"\\ud800"' + b"]" * 499 + b"}", 1)), "FILE005"),
    "surrogate pair 500 deep ok": (lambda: _edit(_set(["provenance", "extra", "deep"], json.loads("[" * 499 + '"\\ud83d\\ude00"' + "]" * 499))), None),
    "materialized holding deep arrays": (lambda: _bn_case(_set(["model", "layers", 1, "attributes", "materialized"],
                                                                [json.loads("[" * 500 + "]" * 500)] * 2)), "FILE005"),
    "manifest with whitespace and a trailing newline ok": (lambda: _raw_manifest(b" \r\n\t" + w.split(SMALL)[1] + b"\n"), None),
    "pretty-printed manifest ok": (lambda: _raw_manifest(json.dumps(w.manifest_of(SMALL), indent=2).encode()), None),
    "reordered members ok": (lambda: _raw_manifest(json.dumps(dict(reversed(list(w.manifest_of(SMALL).items())))).encode()), None),
    "empty model ok": (lambda: w.build([], {}, outputs=[]), None),
    "top level array": (lambda: _raw_manifest(b"[]"), "FILE005"),
    "empty manifest": (lambda: _raw_manifest(b""), "FILE005"),
    "format name": (lambda: _edit(_format_name), "FILE005"),
    "unknown member": (lambda: _edit(_unknown_member), "FILE005"),
    "unknown top-level member": (lambda: _edit(_unknown_top), "FILE005"),
    "unknown kind": (lambda: _edit(_bad_kind), "FILE005"),
    "missing member": (lambda: _edit(_missing_member), "FILE005"),
    "activation without alpha": (lambda: _edit(_bad_activation), "FILE005"),
    "crc32 upper case": (lambda: _edit(_bad_crc_text), "FILE005"),
    "unknown dtype": (lambda: _edit(_bad_dtype), "FILE005"),
    "convention changed": (lambda: _edit(_set(["conventions", "activations"], "NHWC")), "FILE005"),
    "dense units 0": (lambda: _edit(_set(["model", "layers", 1, "attributes", "units"], 0)), "FILE005"),
    "use_bias 1": (lambda: _edit(_set(["model", "layers", 1, "attributes", "use_bias"], 1)), "FILE005"),
    "offset negative": (lambda: _edit(_set(["tensors", 0, "offset"], -64)), "FILE005"),
    "shape overflow": (lambda: _edit(_shape_overflow), "FILE003"),
    "empty tensor whose other dimensions overflow": (lambda: _edit(_zero_overflow), "FILE003"),
    "many huge dimensions": (lambda: _edit(_set(["tensors", 0, "shape"], [2 ** 53] * 20000)), "FILE003"),
    "dimension over 2^53": (lambda: _edit(_huge_dim), "FILE005"),
    "length mismatch": (lambda: _edit(_len_mismatch), "FILE003"),
    "misaligned": (lambda: _edit(_misalign), "FILE004"),
    "overlap": (lambda: _edit(_overlap), "FILE003"),
    "gap": (lambda: _edit(_shift_last), "FILE003"),
    "reordered": (lambda: _edit(_swap_tensor_order), "FILE003"),
    "duplicate tensor name": (lambda: _edit(_dup_name), "FILE005"),
    "unknown tensor": (lambda: _edit(_unknown_ref), "FILE005"),
    "tensor used by no layer": (lambda: _edit(_unused), "FILE005"),
    "tensor used twice": (lambda: _edit(_twice), "FILE005"),
    "role twice": (lambda: _edit(_dup_role), "FILE005"),
    "inbound not earlier": (lambda: _edit(_later_inbound), "FILE005"),
    "duplicate layer": (lambda: _edit(_dup_layer), "FILE005"),
    "input is not an input layer": (lambda: _edit(_input_not_input), "FILE005"),
    "output is not a layer": (lambda: _edit(_output_missing), "FILE005"),
    "reshape with two -1": (lambda: _edit(_two_minus_one), "FILE005"),
    "tensor byte flipped": (lambda: _tensor_byte_flip(SMALL), "FILE001"),
    "padding between tensors": (lambda: _padding_byte(SMALL), "FILE006"),
    "padding after manifest": (lambda: _manifest_padding_byte(SMALL), "FILE006"),
    # Newer minor versions of major 1: unknown members, reserved bytes and a manifest further
    # on are allowed (docs/FORMAT.md "Versions").
    "minor 1 with unknown members": (lambda: _edit(_unknown_member, minor=1), None),
    "minor 1 with unknown top-level member": (lambda: _edit(_unknown_top, minor=1), None),
    "minor 1 with reserved bytes": (lambda: w.with_manifest(SMALL, w.split(SMALL)[1], minor=1, reserved=b"\x07" * 8), None),
    "minor 1 with manifest at 128": (lambda: w.with_manifest(SMALL, w.split(SMALL)[1], minor=1, manifest_offset=128), None),
    "minor 1 still needs known kinds": (lambda: _edit(_bad_kind, minor=1), "FILE005"),
    "minor 0 with manifest at 128": (lambda: w.with_manifest(SMALL, w.split(SMALL)[1], manifest_offset=128), "FILE003"),
}


def _bn_case(edit: Callable[[dict], None]) -> bytes:
    layers, tensors = bn_model()
    return _edit(edit, w.build(layers, tensors))


def _bn_rank3(manifest: dict) -> None:
    for t in manifest["tensors"]:
        t["shape"] = t["shape"][1:]


def _bn_missing(manifest: dict) -> None:
    manifest["model"]["layers"][1]["tensors"].pop()
    manifest["model"]["layers"].append({"name": "u", "kind": "unmapped", "inbound": ["bn"],
                                        "attributes": {"class_name": "X", "config": None},
                                        "tensors": [{"role": "v", "tensor": "bn/variance"}]})


def _bn_int(manifest: dict) -> None:
    manifest["tensors"][0]["dtype"] = "i32"


def _bn_mode(manifest: dict) -> None:
    manifest["model"]["layers"][1]["attributes"]["mode"] = "per_activation"


def _bn_output(manifest: dict) -> None:
    manifest["model"]["layers"][1]["output_shape"] = [5, 3, 3]


CASES.update({
    "bn clean": (lambda: _bn_case(lambda m: None), None),
    "bn rank 3": (lambda: _bn_case(_bn_rank3), "FILE005"),
    "bn missing variance": (lambda: _bn_case(_bn_missing), "FILE005"),
    "bn integer dtype": (lambda: _bn_case(_bn_int), "FILE005"),
    "bn per_activation with [1,C,1,1] on a 3x3 map": (lambda: _bn_case(_bn_mode), "FILE005"),
    "bn C differs from output shape": (lambda: _bn_case(_bn_output), "FILE005"),
    "bn materialized twice": (lambda: _bn_case(_set(["model", "layers", 1, "attributes", "materialized"],
                                                     ["gamma", "gamma"])), "FILE005"),
})


def _nk_case(edit: Callable[[dict], None], minor: int = 0) -> bytes:
    """The grouped-conv2d / layer_norm model (conftest.new_kinds_model) with its manifest edited."""
    layers, tensors = new_kinds_model()
    return _edit(edit, w.build(layers, tensors), minor=minor)


# new_kinds_model's layers: 1 gconv (groups 2, filters 6), 2 conv1 (no groups), 3 ln (gamma, beta),
# 4 ln_bare (no tensors), 6 ln_vec (beta, on a vector).
def _attr(layer: int, key: str, value: object) -> Callable[[dict], None]:
    return _set(["model", "layers", layer, "attributes", key], value)


def _drop_attr(layer: int, key: str) -> Callable[[dict], None]:
    def edit(manifest: dict) -> None:
        del manifest["model"]["layers"][layer]["attributes"][key]
    return edit


def _groups_on_depthwise(manifest: dict) -> None:
    layer = manifest["model"]["layers"][2]
    layer["kind"] = "depthwise_conv2d"
    layer["attributes"]["depth_multiplier"] = layer["attributes"].pop("filters")
    layer["attributes"]["groups"] = 1
    for reference in layer["tensors"]:
        reference["role"] = {"kernel": "depthwise_kernel"}.get(reference["role"], reference["role"])


def _reshape_vec(target: List[int]) -> Callable[[dict], None]:
    def edit(manifest: dict) -> None:
        layer = manifest["model"]["layers"][6]
        layer.update({"kind": "reshape", "attributes": {"target_shape": target}, "tensors": []})
        manifest["model"]["layers"].append({"name": "u", "kind": "unmapped", "inbound": [], "attributes":
                                            {"class_name": "X", "config": None},
                                            "tensors": [{"role": "beta", "tensor": "ln_vec/beta"}]})
    return edit


def _ln_gamma_rank1() -> bytes:
    layers, tensors = new_kinds_model()
    tensors["ln/gamma"] = tensors["ln/gamma"].reshape(6)
    return w.build(layers, tensors)


CASES.update({
    # conv2d groups: optional (absent = 1), an integer token in 1...2^53 that divides filters (6).
    "grouped conv2d and layer_norm": (lambda: _nk_case(lambda m: None), None),
    "grouped conv2d and layer_norm, minor 1": (lambda: _nk_case(lambda m: None, minor=1), None),
    "groups 1 written out": (lambda: _nk_case(_attr(2, "groups", 1)), None),
    "groups 6": (lambda: _nk_case(_attr(1, "groups", 6)), None),
    "groups 0": (lambda: _nk_case(_attr(1, "groups", 0)), "FILE005"),
    "groups 0, minor 1": (lambda: _nk_case(_attr(1, "groups", 0), minor=1), "FILE005"),
    "groups -2": (lambda: _nk_case(_attr(1, "groups", -2)), "FILE005"),
    "groups 2.0": (lambda: _nk_case(_attr(1, "groups", 2.0)), "FILE005"),
    "groups 1.5": (lambda: _nk_case(_attr(1, "groups", 1.5)), "FILE005"),
    "groups a string": (lambda: _nk_case(_attr(1, "groups", "2")), "FILE005"),
    "groups true": (lambda: _nk_case(_attr(1, "groups", True)), "FILE005"),
    "groups null": (lambda: _nk_case(_attr(1, "groups", None)), "FILE005"),
    "groups not dividing filters": (lambda: _nk_case(_attr(1, "groups", 4)), "FILE005"),
    "groups 2^53": (lambda: _nk_case(_attr(1, "groups", 2 ** 53)), "FILE005"),
    "groups above 2^53": (lambda: _nk_case(_attr(1, "groups", 2 ** 53 + 1)), "FILE005"),
    # Not dividing the input's channels, or a kernel of the wrong shape: validate's CH010/CH002.
    "groups not dividing the input ok": (lambda: _nk_case(_attr(1, "groups", 3)), None),
    "groups on depthwise_conv2d": (lambda: _nk_case(_groups_on_depthwise), "FILE005"),
    "groups on depthwise_conv2d, minor 1": (lambda: _nk_case(_groups_on_depthwise, minor=1), None),
    "groups on layer_norm": (lambda: _nk_case(_attr(3, "groups", 1)), "FILE005"),
    # layer_norm: epsilon, a number > 0, and nothing else.
    "layer_norm epsilon 1 (integer token) ok": (lambda: _nk_case(_attr(3, "epsilon", 1)), None),
    "layer_norm epsilon 5e-324 ok": (lambda: _nk_case(_attr(3, "epsilon", 5e-324)), None),
    "layer_norm epsilon 0": (lambda: _nk_case(_attr(3, "epsilon", 0)), "FILE005"),
    "layer_norm epsilon 0.0": (lambda: _nk_case(_attr(4, "epsilon", 0.0)), "FILE005"),
    "layer_norm epsilon -0.0": (lambda: _nk_case(_attr(6, "epsilon", -0.0)), "FILE005"),
    "layer_norm epsilon negative": (lambda: _nk_case(_attr(3, "epsilon", -1e-3)), "FILE005"),
    "layer_norm epsilon 0, minor 1": (lambda: _nk_case(_attr(3, "epsilon", 0), minor=1), "FILE005"),
    "layer_norm epsilon a string": (lambda: _nk_case(_attr(3, "epsilon", "1e-3")), "FILE005"),
    "layer_norm without epsilon": (lambda: _nk_case(_drop_attr(3, "epsilon")), "FILE005"),
    "layer_norm unknown attribute": (lambda: _nk_case(_attr(3, "axis", -1)), "FILE005"),
    "layer_norm unknown attribute, minor 1": (lambda: _nk_case(_attr(3, "axis", -1), minor=1), None),
    # Its tensors' shapes are validate's (CH008), as for every kind but batch_norm.
    "layer_norm gamma [6] ok": (_ln_gamma_rank1, None),
    "layer_norm gamma twice": (lambda: _nk_case(_set(["model", "layers", 3, "tensors", 1, "role"], "gamma")), "FILE005"),
    # reshape: at most one -1 (the schema's maxContains), sizes >= -1.
    "reshape with one -1 ok": (lambda: _nk_case(_reshape_vec([-1, 2])), None),
    "reshape with -1 twice among sizes": (lambda: _nk_case(_reshape_vec([-1, 2, -1])), "FILE005"),
    "reshape with two -1, minor 1": (lambda: _nk_case(_reshape_vec([-1, -1]), minor=1), "FILE005"),
    "reshape with -2": (lambda: _nk_case(_reshape_vec([-2, 3])), "FILE005"),
})


def _code_of(path: Path) -> Optional[str]:
    try:
        with bnm.open(path, verify=True) as f:
            for name in f.keys():
                f.get_tensor(name).tobytes()
        return None
    except bnm.BNMError as error:
        assert isinstance(error, bnm.error_class(error.code))
        assert error.message.startswith(f"{path}: ")
        return error.code


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_file(name: str, tmp_path: Path) -> None:
    make, expected = CASES[name]
    path = tmp_path / "case.bnm"
    path.write_bytes(make())
    assert _code_of(path) == expected


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_file_agrees_with_swift(name: str, tmp_path: Path, bnconvert: Path) -> None:
    """The same bytes through `bnconvert validate`: its first FILE* finding (FILE008 when it
    calls the file unusable) is our code."""
    make, expected = CASES[name]
    path = tmp_path / "case.bnm"
    path.write_bytes(make())
    try:
        with bnm.open(path, verify=True):
            error: Optional[bnm.BNMError] = None
    except bnm.BNMError as e:
        error = e
    swift_code = swift_file_code(bnconvert, path)
    if error is not None and error.kind == "invalidModel":
        # Rule 13 (the IR's rules): `validate` reports these as BN/CH findings at the layer,
        # the Swift reader (`inspect`) refuses the file at open, as this reader does.
        assert swift_code is None
    else:
        assert swift_code == expected
    inspect = run_cli(bnconvert, "inspect", "--json", str(path))
    if error is None or error.code == "FILE001" or (error.code == "FILE006" and error.offset not in range(52, 60)):
        assert inspect.returncode == 0, inspect.stderr  # rule 14 is not checked at open
    else:
        assert inspect.returncode == 2
        # bnconvert takes a file for what its bytes say, whatever its name: a zip named .bnm is
        # read as a .keras archive, and refused in that reader's words.
        if error.kind not in ("manifestSchema", "manifestNotJSON") and not path.read_bytes().startswith(b"PK\x03\x04"):
            # Same rule, same words (schema and JSON messages are worded by each validator).
            swift_words = inspect.stderr.strip().replace("use a newer bnconvert", "use a newer reader")
            assert swift_words == f"bnconvert: error: {error.message}"


def test_error_attributes(tmp_path: Path) -> None:
    path = tmp_path / "x.bnm"
    path.write_bytes(_edit(_misalign))
    with pytest.raises(bnm.AlignmentError) as caught:
        bnm.open(path)
    error = caught.value
    assert (error.code, error.kind, error.tensor) == ("FILE004", "misaligned", "fc0/bias")
    assert str(error) == f"{path}: tensor 'fc0/bias': offset 4 is not a multiple of 64" or "offset" in str(error)
    path.write_bytes(_edit(_bad_kind))
    with pytest.raises(bnm.ManifestError) as caught2:
        bnm.open(path)
    assert caught2.value.pointer == "/model/layers/1/kind"
    path.write_bytes(_raw_manifest(b'{"format":"bnm",' + w.split(SMALL)[1][1:]))
    with pytest.raises(bnm.ManifestError) as caught3:
        bnm.open(path)
    assert caught3.value.kind == "manifestNotJSON" and "duplicate key" in str(caught3.value)
    assert caught3.value.offset == 64 + len(b'{"format":"bnm",')


def test_fifo_does_not_block(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.bnm"
    os.mkfifo(fifo)
    with pytest.raises(bnm.UnreadableError) as caught:
        bnm.open(fifo)
    assert "not a regular file" in str(caught.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(bnm.UnreadableError) as caught:
        bnm.open(tmp_path / "absent.bnm")
    assert caught.value.code == "FILE008" and caught.value.errno == 2
    with pytest.raises(bnm.UnreadableError):
        bnm.open(tmp_path)


def test_every_truncation_raises_bnm_error(tmp_path: Path) -> None:
    """Cutting the Swift-written fixture at every length gives FILE003 (FILE007/8 never)."""
    path = tmp_path / "cut.bnm"
    for length in list(range(0, 200)) + list(range(200, len(CLEAN), 97)):
        path.write_bytes(CLEAN[:length])
        assert _code_of(path) == "FILE003", length


def test_random_damage_never_escapes_as_another_exception(tmp_path: Path) -> None:
    """Byte flips, insertions and deletions anywhere (header, manifest, data): only BNMError
    or success, never IndexError/struct.error/UnicodeDecodeError/... ."""
    rng = random.Random(1234)
    path = tmp_path / "fuzz.bnm"
    swift = bnconvert_path()
    agreed = 0
    for round_ in range(400):
        blob = bytearray(CLEAN if round_ % 2 else SMALL)
        for _ in range(rng.choice([1, 1, 2, 5])):
            where = rng.randrange(len(blob))
            action = rng.random()
            if action < 0.7:
                blob[where] ^= 1 << rng.randrange(8)
            elif action < 0.85:
                del blob[where]
            else:
                blob.insert(where, rng.randrange(256))
        if round_ % 3 == 0:
            # Keep the header CRC right so the damage reaches the later rules.
            blob[60:64] = struct.pack("<I", zlib.crc32(bytes(blob[:60])))
        path.write_bytes(bytes(blob))
        code = _code_of(path)  # raises if anything but BNMError escapes
        if swift is not None and round_ % 10 == 0:
            assert swift_file_code(swift, path) == code, round_
            agreed += 1
    if swift is not None:
        assert agreed == 40


def test_manifest_after_crc_fix_reaches_json_rules(tmp_path: Path) -> None:
    """A manifest edited in place (CRC re-computed) is judged by the JSON and schema rules."""
    fields, raw, _ = w.split(SMALL)
    broken = raw.replace(b'"format":"bnm"', b'"format":"bnM"')
    blob = _put(SMALL, 64, broken)
    path = tmp_path / "m.bnm"
    path.write_bytes(_crc_of_manifest_fixed(blob))
    with pytest.raises(bnm.ManifestError) as caught:
        bnm.open(path)
    assert caught.value.pointer == "/format"


def test_zero_tensor_and_scalar_and_empty_tensors(tmp_path: Path) -> None:
    layers = [{"name": "x", "kind": "input", "inbound": [], "attributes": {"shape": [0]}, "tensors": []},
              {"name": "u", "kind": "unmapped", "inbound": ["x"], "attributes": {"class_name": "C", "config": {"a": 1}},
               "tensors": [{"role": "empty", "tensor": "u/empty"}, {"role": "scalar", "tensor": "u/scalar"},
                           {"role": "empty2", "tensor": "u/empty2"}]}]
    tensors = {"u/empty": np.zeros((0, 3), "<f4"), "u/scalar": np.array(7, "<i8"), "u/empty2": np.zeros((2, 0), "<f2")}
    path = tmp_path / "z.bnm"
    path.write_bytes(w.build(layers, tensors))
    with bnm.open(path, verify=True) as f:
        assert f.get_tensor("u/empty").shape == (0, 3)
        assert f.get_tensor("u/scalar").shape == () and int(f.get_tensor("u/scalar")) == 7
        assert f.get_tensor("u/empty2").shape == (2, 0)
        assert f.tensor_info("u/empty2").offset == 64
    no_tensors = [{"name": "x", "kind": "input", "inbound": [], "attributes": {"shape": [3]}, "tensors": []}]
    path.write_bytes(w.build(no_tensors, {}))
    with bnm.open(path, verify=True) as f:
        assert f.keys() == [] and f.header.data_length == 0
