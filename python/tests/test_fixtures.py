"""The committed Swift-written fixtures: example.bnm (FORMAT.md's annotated file) and the defect
corpus, whose FILE* codes must agree with what the Swift side reports (expected.json)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

import bnm
from conftest import BNM_FIXTURES, run_cli, swift_file_code, swift_inspect

DEFECTS = BNM_FIXTURES / "defects"
EXPECTED = json.loads((DEFECTS / "expected.json").read_text())["files"]


def test_example_matches_the_annotated_hexdump() -> None:
    with bnm.open(BNM_FIXTURES / "example.bnm", verify=True) as f:
        h = f.header
        assert (h.major, h.minor, h.flags) == (1, 0, 0)
        assert (h.manifest_offset, h.manifest_length, h.data_offset, h.data_length) == (64, 864, 960, 8)
        assert (h.manifest_crc32, h.header_crc32) == (0x86188EC9, 0x64EE11AB)
        assert f.keys() == ["fc/kernel"]
        kernel = f.get_tensor("fc/kernel")
        assert kernel.dtype == np.dtype("<f4") and kernel.shape == (1, 2)
        assert kernel.tobytes() == bytes.fromhex("0000003f00000080")  # 0.5, -0.0 exactly
        assert np.signbit(kernel[0, 1])
        info = f.tensor_info("fc/kernel")
        assert (info.offset, info.length, info.crc32_hex, info.file_offset) == (0, 8, "abeb731e", 960)
        assert [(l.name, l.kind, l.inbound, l.output_shape) for l in f.layers] == [
            ("x", "input", (), (2,)), ("fc", "dense", ("x",), (1,))]
        assert f.layer("fc").tensors == {"kernel": "fc/kernel"}
        assert f.layer("fc").activation == {"name": "linear"}
        assert f.metadata.name == "tiny" and f.metadata.inputs == ("x",) and f.metadata.outputs == ("fc",)
        assert f.metadata.provenance.source_format == "example"
        assert f.metadata.provenance.source_architecture is None
        assert f.metadata.conventions["activations"] == "NCHW"
        assert f.metadata.format_version == (1, 0)


def test_tensors_are_zero_copy_read_only_views() -> None:
    with bnm.open(BNM_FIXTURES / "defects" / "clean.bnm") as f:
        names = f.keys()
        arrays = [f.get_tensor(name) for name in names]
    # Still valid after close: the views keep the mapping alive.
    for array in arrays:
        assert not array.flags.writeable
        assert not array.flags.owndata
        with pytest.raises(ValueError):
            array.reshape(-1)[:1] = 0
        assert array.sum() == array.sum()  # readable
    with bnm.open(BNM_FIXTURES / "defects" / "clean.bnm") as f:
        copy = f.get_tensor(names[0], copy=True)
        assert copy.flags.writeable and copy.flags.owndata


def test_missing_tensor_is_a_key_error_and_a_bnm_error() -> None:
    with bnm.open(BNM_FIXTURES / "example.bnm") as f:
        with pytest.raises(bnm.TensorNotFoundError) as caught:
            f.get_tensor("nope")
        assert isinstance(caught.value, KeyError) and isinstance(caught.value, bnm.BNMError)
        assert caught.value.code == "FILE005" and "nope" in str(caught.value)
        assert "example.bnm" in str(caught.value)


@pytest.mark.parametrize("case", EXPECTED, ids=[c["file"] for c in EXPECTED])
def test_defect_corpus_codes_agree_with_expected_json(case: dict) -> None:
    """The FILE* code of each planted defect is the one expected.json lists for the Swift side.
    Defects that are not FILE* findings (BN/CH/VAL: the values are wrong, not the bytes) read
    without error — except those the Swift reader itself refuses at open (a BN shape that
    contradicts the recorded output shape is rule 13, FILE005, in both readers)."""
    path = DEFECTS / case["file"]
    file_codes = [f["code"] for f in case["findings"] if f["code"].startswith("FILE")]
    expected = "FILE008" if case["unusable"] else (file_codes[0] if file_codes else None)
    try:
        with bnm.open(path, verify=True) as f:
            for name in f.keys():
                f.get_tensor(name).sum()
        got = None
    except bnm.BNMError as error:
        got = error.code
        assert error.message.startswith(str(path) + ": ")
        if got == "FILE001":
            assert case["findings"][0]["layer"] + "/" + case["findings"][0]["tensor"] == error.tensor
    if expected is None and got is not None:
        assert got == "FILE005" and case["file"] in ("bn_size_mismatch.bnm", "per_activation_hw_swapped.bnm"), got
    else:
        assert got == expected


@pytest.mark.parametrize("case", EXPECTED, ids=[c["file"] for c in EXPECTED])
def test_defect_corpus_open_agrees_with_swift_reader(case: dict, bnconvert: Path) -> None:
    """Strict opening (no CRC pass) succeeds exactly when `bnconvert inspect` (the Swift
    BNMFile) does, and fails with the same message."""
    path = DEFECTS / case["file"]
    swift = run_cli(bnconvert, "inspect", "--json", str(path))
    try:
        with bnm.open(path) as f:
            python_manifest = f.manifest
        error = None
    except bnm.BNMError as e:
        error = e
    if swift.returncode == 0:
        assert error is None, error
        assert python_manifest == json.loads(swift.stdout)
    else:
        assert swift.returncode == 2
        assert error is not None
        assert swift.stderr.strip() == f"bnconvert: error: {error.message}"


@pytest.mark.parametrize("case", EXPECTED, ids=[c["file"] for c in EXPECTED])
def test_defect_corpus_codes_agree_with_swift_validate(case: dict, bnconvert: Path) -> None:
    path = DEFECTS / case["file"]
    try:
        with bnm.open(path, verify=True):
            got = None
    except bnm.BNMError as error:
        got = error.code
    swift = swift_file_code(bnconvert, path)
    if swift is None:
        assert got in (None, "FILE005")  # FILE005 only for the rule-13 refusals above
    else:
        assert got == swift


def test_checksum_failures_lists_every_damaged_tensor() -> None:
    with bnm.open(DEFECTS / "checksum_corrupted.bnm") as f:
        failures = f.checksum_failures()
        assert [e.tensor for e in failures] == ["bn/variance"]
        assert failures[0].code == "FILE001" and failures[0].kind == "checksumMismatch"
        with pytest.raises(bnm.TensorChecksumError):
            f.verify()
    with bnm.open(DEFECTS / "clean.bnm") as f:
        assert f.checksum_failures() == []
        for name in f.keys():
            assert zlib.crc32(f.get_tensor(name).tobytes()) == f.tensor_info(name).crc32


def test_clean_fixture_against_swift_inspect(bnconvert: Path) -> None:
    for name in ("example.bnm", "defects/clean.bnm", "defects/clean_per_activation.bnm"):
        with bnm.open(BNM_FIXTURES / name, verify=True) as f:
            assert f.manifest == swift_inspect(bnconvert, BNM_FIXTURES / name)
