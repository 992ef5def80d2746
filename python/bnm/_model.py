"""Typed views of the manifest: header, tensor entries, layers and model-level metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

__all__ = ["Header", "TensorInfo", "Layer", "Provenance", "Metadata", "NUMPY_DTYPES", "DTYPE_SIZES"]

#: The numpy dtype each `.bnm` dtype is handed out as (little-endian). numpy has no bfloat16, so
#: ``bf16`` tensors are their raw bit patterns as ``<u2``; see :func:`bnm.bfloat16_to_float32`.
NUMPY_DTYPES: Dict[str, np.dtype] = {
    "f16": np.dtype("<f2"),
    "bf16": np.dtype("<u2"),
    "f32": np.dtype("<f4"),
    "f64": np.dtype("<f8"),
    "i8": np.dtype("i1"),
    "i16": np.dtype("<i2"),
    "i32": np.dtype("<i4"),
    "i64": np.dtype("<i8"),
    "u8": np.dtype("u1"),
}

#: Bytes per element of each `.bnm` dtype.
DTYPE_SIZES: Dict[str, int] = {name: dtype.itemsize for name, dtype in NUMPY_DTYPES.items()}


@dataclass(frozen=True)
class Header:
    """The fixed 64-byte header (docs/FORMAT.md, "Header")."""

    major: int
    minor: int
    flags: int
    manifest_offset: int
    manifest_length: int
    data_offset: int
    data_length: int
    manifest_crc32: int
    header_crc32: int

    @property
    def version(self) -> Tuple[int, int]:
        """``(major, minor)``."""
        return (self.major, self.minor)

    @property
    def file_size(self) -> int:
        """The size the header accounts for: ``data_offset + data_length``."""
        return self.data_offset + self.data_length


@dataclass(frozen=True)
class TensorInfo:
    """One entry of the manifest's tensor table.

    ``offset`` is from the start of the data section (as in the manifest); ``file_offset`` is
    from the start of the file. ``dtype`` is the `.bnm` name (``"f32"``, ``"bf16"`` …) and
    ``numpy_dtype`` what :meth:`bnm.BNMFile.get_tensor` returns (``<u2`` for ``bf16``).
    """

    name: str
    dtype: str
    shape: Tuple[int, ...]
    offset: int
    length: int
    crc32: int
    file_offset: int

    @property
    def numpy_dtype(self) -> np.dtype:
        return NUMPY_DTYPES[self.dtype]

    @property
    def size(self) -> int:
        """Number of elements."""
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    @property
    def crc32_hex(self) -> str:
        """The CRC as the manifest writes it: 8 lowercase hex digits."""
        return "%08x" % self.crc32


@dataclass(frozen=True)
class Layer:
    """One layer of the model, as the manifest describes it.

    ``tensors`` maps each role (``"kernel"``, ``"gamma"`` …) to the name of its tensor-table
    entry, in the manifest's order; pass the name to :meth:`bnm.BNMFile.get_tensor`.
    ``attributes`` is the manifest's ``attributes`` object as is (see docs/FORMAT.md for each
    kind). ``output_shape`` is per sample, NCHW, or ``None`` when the file does not record it.
    """

    name: str
    kind: str
    inbound: Tuple[str, ...]
    output_shape: Optional[Tuple[int, ...]]
    attributes: Dict[str, Any]
    tensors: Dict[str, str]
    index: int = 0

    @property
    def bn_mode(self) -> Optional[str]:
        """``"spatial"`` or ``"per_activation"`` for a ``batch_norm`` layer, else ``None``."""
        if self.kind != "batch_norm":
            return None
        mode = self.attributes.get("mode")
        return mode if isinstance(mode, str) else None

    @property
    def groups(self) -> Optional[int]:
        """A ``conv2d``'s ``groups`` (grouped convolution: the kernel is OIHW
        ``[filters, C / groups, kh, kw]``), 1 when the file leaves it out, as writers do for an
        ordinary convolution; ``None`` for other kinds. ``attributes`` holds only what the file
        has."""
        if self.kind != "conv2d":
            return None
        groups = self.attributes.get("groups", 1)
        return groups if isinstance(groups, int) and not isinstance(groups, bool) else None

    @property
    def epsilon(self) -> Optional[float]:
        """The ``epsilon`` of a ``batch_norm``, ``normalize`` or ``layer_norm`` layer, as a float
        (the file's double); ``None`` for other kinds."""
        value = self.attributes.get("epsilon") if self.kind in ("batch_norm", "normalize", "layer_norm") else None
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    @property
    def activation(self) -> Optional[Dict[str, Any]]:
        """The fused (or standalone) activation object, e.g. ``{"name": "relu"}``, if any."""
        value = self.attributes.get("activation")
        return value if isinstance(value, dict) else None

    @property
    def pointer(self) -> str:
        """The layer's JSON Pointer in the manifest."""
        return f"/model/layers/{self.index}"


@dataclass(frozen=True)
class Provenance:
    """Where the model came from (the manifest's ``provenance``)."""

    source_format: str
    source_version: str
    converter_version: str
    source_architecture: Optional[str]
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metadata:
    """Model-level information: name, endpoints, notes, conventions, provenance and version."""

    name: str
    inputs: Tuple[str, ...]
    outputs: Tuple[str, ...]
    layout_notes: Tuple[str, ...]
    conventions: Dict[str, str]
    provenance: Provenance
    format_version: Tuple[int, int]
