#!/usr/bin/env python3
"""A .bnm v1 reader with numpy, from docs/FORMAT.md alone. `load(path)` -> {name: ndarray}
(bf16 as uint16 bit patterns: numpy has no bfloat16). As a script: one JSON line per tensor."""
import json, struct, sys, zlib
import numpy as np

DTYPES = {"f16": "<f2", "bf16": "<u2", "f32": "<f4", "f64": "<f8",
          "i8": "i1", "i16": "<i2", "i32": "<i4", "i64": "<i8", "u8": "u1"}

def need(ok, what):
    if not ok: raise ValueError(what)

def load(path):
    buf = open(path, "rb").read()
    need(buf[:8] == b"\x89BNM\r\n\x1a\n" and len(buf) >= 64, "not a .bnm file")
    major, minor, flags, m_off, m_len, d_off, d_len, m_crc = struct.unpack_from("<HHIQQQQI", buf, 8)
    need(major == 1 and flags & 0xFFFF == 0, f"unsupported version {major}.{minor}")
    need(zlib.crc32(buf[:60]) == struct.unpack_from("<I", buf, 60)[0], "header damaged")
    need(m_off + m_len <= d_off and d_off + d_len == len(buf), "truncated or trailing bytes")
    manifest = buf[m_off:m_off + m_len]
    need(zlib.crc32(manifest) == m_crc, "manifest damaged")
    tensors = {}
    for t in json.loads(manifest)["tensors"]:
        raw = buf[d_off + t["offset"]:d_off + t["offset"] + t["length"]]
        need(len(raw) == t["length"] and zlib.crc32(raw) == int(t["crc32"], 16), t["name"])
        tensors[t["name"]] = np.frombuffer(raw, dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return tensors

if __name__ == "__main__":
    for name, array in load(sys.argv[1]).items():  # [name, numpy dtype, shape, hex of bytes]
        print(json.dumps([name, array.dtype.str, list(array.shape), array.tobytes().hex()]))
