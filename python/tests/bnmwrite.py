"""A small, test-only `.bnm` writer and patcher, written from docs/FORMAT.md.

Used to make files the Swift writer never would (damaged, newer minor versions, very large),
and to re-assemble edited manifests with correct CRCs and extents.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

MAGIC = b"\x89BNM\r\n\x1a\n"
SIZES = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i8": 1, "i16": 2, "i32": 4, "i64": 8, "u8": 1}
CONVENTIONS = {
    "activations": "NCHW", "conv_kernel": "OIHW", "depthwise_kernel": "[C*M, 1, KH, KW]", "dense_kernel": "[out, in]",
    "batch_norm_spatial": "[1, C, 1, 1]", "batch_norm_per_activation": "[1, C, H, W]", "flatten_order": "CHW",
    "byte_order": "little",
}

# A tensor's bytes: all at once, or a function yielding them in chunks (for large files).
Payload = Union[bytes, Callable[[], Iterable[bytes]]]


def round_up(value: int) -> int:
    return (value + 63) // 64 * 64


def header_bytes(*, major: int = 1, minor: int = 0, flags: int = 0, manifest_offset: int = 64, manifest_length: int,
                 data_offset: int, data_length: int, manifest_crc32: int, reserved: bytes = bytes(8),
                 header_crc32: Optional[int] = None) -> bytes:
    head = MAGIC + struct.pack("<HHIQQQQI", major, minor, flags, manifest_offset, manifest_length, data_offset,
                               data_length, manifest_crc32) + reserved
    assert len(head) == 60
    crc = zlib.crc32(head) if header_crc32 is None else header_crc32
    return head + struct.pack("<I", crc)


def entries_for(specs: Sequence[Tuple[str, str, Sequence[int]]]) -> List[Dict[str, Any]]:
    """Tensor-table entries (crc32 still zero) laid out by the format's rule."""
    entries = []
    end = 0
    for index, (name, dtype, shape) in enumerate(specs):
        length = SIZES[dtype] * int(np.prod(shape, dtype=object)) if len(shape) else SIZES[dtype]
        offset = 0 if index == 0 else round_up(end)
        entries.append({"name": name, "dtype": dtype, "shape": list(shape), "offset": offset, "length": length,
                        "crc32": "00000000"})
        end = offset + length
    return entries


def manifest_for(layers: List[Dict[str, Any]], entries: List[Dict[str, Any]], *, name: str = "m",
                 inputs: Optional[List[str]] = None, outputs: Optional[List[str]] = None,
                 provenance: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return {
        "format": "bnm",
        "conventions": dict(CONVENTIONS),
        "model": {
            "name": name,
            "inputs": inputs if inputs is not None else [l["name"] for l in layers if l["kind"] == "input"],
            "outputs": outputs if outputs is not None else [layers[-1]["name"]],
            "layout_notes": [],
            "layers": layers,
        },
        "provenance": provenance or {"source_format": "pytest", "source_version": "", "converter_version": "0",
                                     "source_architecture": None, "extra": {}},
        "tensors": entries,
    }


def encode(manifest: Dict[str, Any]) -> bytes:
    return json.dumps(manifest, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def assemble(manifest_bytes: bytes, data: bytes, *, minor: int = 0, flags: int = 0, reserved: bytes = bytes(8),
             manifest_offset: int = 64, gap_fill: bytes = b"") -> bytes:
    """A whole file from manifest bytes and the data section, with correct header and CRCs."""
    manifest_end = manifest_offset + len(manifest_bytes)
    data_offset = round_up(manifest_end)
    head = header_bytes(minor=minor, flags=flags, manifest_offset=manifest_offset, manifest_length=len(manifest_bytes),
                        data_offset=data_offset, data_length=len(data), manifest_crc32=zlib.crc32(manifest_bytes),
                        reserved=reserved)
    between = (gap_fill * (manifest_offset - 64))[: manifest_offset - 64].ljust(manifest_offset - 64, b"\0")
    return head + between + manifest_bytes + bytes(data_offset - manifest_end) + data


def build(layers: List[Dict[str, Any]], tensors: Dict[str, np.ndarray], dtypes: Optional[Dict[str, str]] = None,
          **options: Any) -> bytes:
    """A valid file whose tensor table is ``tensors`` in order (numpy arrays; bf16 given as
    uint16 bit patterns with ``dtypes[name] = "bf16"``)."""
    kinds = {"<f2": "f16", "<f4": "f32", "<f8": "f64", "|i1": "i8", "<i2": "i16", "<i4": "i32", "<i8": "i64",
             "|u1": "u8", "<u2": "bf16"}
    specs = []
    for name, array in tensors.items():
        dtype = (dtypes or {}).get(name) or kinds[array.dtype.str]
        specs.append((name, dtype, array.shape))
    entries = entries_for(specs)
    data = bytearray()
    for entry, array in zip(entries, tensors.values()):
        raw = np.ascontiguousarray(array).tobytes()
        data += bytes(entry["offset"] - len(data)) + raw
        entry["crc32"] = "%08x" % zlib.crc32(raw)
    manifest_options = {k: options.pop(k) for k in ("name", "inputs", "outputs", "provenance") if k in options}
    return assemble(encode(manifest_for(layers, entries, **manifest_options)), bytes(data), **options)


def write_streaming(path: str, layers: List[Dict[str, Any]], specs: List[Tuple[str, str, Sequence[int], Payload]],
                    **manifest_options: Any) -> None:
    """Writes a possibly huge file without holding it in memory: CRCs are back-patched into
    the manifest, as the format's writers do."""
    entries = entries_for([(n, d, s) for n, d, s, _ in specs])
    manifest = manifest_for(layers, entries, **manifest_options)
    text = encode(manifest)
    manifest_end = 64 + len(text)
    data_offset = round_up(manifest_end)
    with open(path, "wb") as out:
        out.write(bytes(data_offset))
        position = 0
        for entry, (_, _, _, payload) in zip(entries, specs):
            out.write(bytes(entry["offset"] - position))
            crc = 0
            written = 0
            for chunk in ([payload] if isinstance(payload, bytes) else payload()):
                out.write(chunk)
                crc = zlib.crc32(chunk, crc)
                written += len(chunk)
            assert written == entry["length"], (entry["name"], written, entry["length"])
            entry["crc32"] = "%08x" % crc
            position = entry["offset"] + entry["length"]
        text2 = encode(manifest)
        assert len(text2) == len(text)
        out.seek(0)
        out.write(header_bytes(manifest_length=len(text2), data_offset=data_offset, data_length=position,
                               manifest_crc32=zlib.crc32(text2)))
        out.write(text2)


# MARK: patching an existing file


def split(blob: bytes) -> Tuple[Dict[str, int], bytes, bytes]:
    """``(header fields, manifest bytes, data section)`` of a well-formed file."""
    major, minor, flags, m_off, m_len, d_off, d_len, m_crc = struct.unpack_from("<HHIQQQQI", blob, 8)
    fields = dict(major=major, minor=minor, flags=flags, manifest_offset=m_off, manifest_length=m_len,
                  data_offset=d_off, data_length=d_len, manifest_crc32=m_crc)
    return fields, blob[m_off:m_off + m_len], blob[d_off:d_off + d_len]


def manifest_of(blob: bytes) -> Dict[str, Any]:
    return json.loads(split(blob)[1])


def with_manifest(blob: bytes, manifest: Union[Dict[str, Any], bytes], **options: Any) -> bytes:
    """``blob`` with its manifest replaced (header and CRCs recomputed; data kept)."""
    _, _, data = split(blob)
    raw = manifest if isinstance(manifest, bytes) else encode(manifest)
    return assemble(raw, data, **options)


def patch_header(blob: bytes, fix_crc: bool = True, **fields: int) -> bytes:
    """``blob`` with header fields replaced; the header CRC recomputed unless ``fix_crc=False``."""
    current, _, _ = split(blob)
    current.update(fields)
    head = MAGIC + struct.pack("<HHIQQQQI", current["major"], current["minor"], current["flags"],
                               current["manifest_offset"], current["manifest_length"], current["data_offset"],
                               current["data_length"], current["manifest_crc32"]) + blob[52:60]
    crc = zlib.crc32(head) if fix_crc else struct.unpack_from("<I", blob, 60)[0]
    return head + struct.pack("<I", crc) + blob[64:]


def refix_header_crc(blob: bytes) -> bytes:
    return blob[:60] + struct.pack("<I", zlib.crc32(blob[:60])) + blob[64:]


def chunks_of(total: int, chunk: int, fill: Callable[[int, int], bytes]) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        position = 0
        while position < total:
            size = min(chunk, total - position)
            yield fill(position, size)
            position += size
    return generate
