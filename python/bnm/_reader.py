"""The strict `.bnm` reader: :func:`open` and :class:`BNMFile`."""

from __future__ import annotations

import mmap
import os
import stat
import struct
import zlib
from types import TracebackType
from typing import Any, Dict, Iterator, List, Optional, Tuple, Type, Union

import numpy as np

from ._errors import (
    AlignmentError,
    BNMError,
    ExtentError,
    HeaderChecksumError,
    ManifestError,
    PaddingError,
    TensorChecksumError,
    TensorNotFoundError,
    TextModeDamageError,
    UnreadableError,
)
from ._json import JSONProblem, parse_strict
from ._model import DTYPE_SIZES, NUMPY_DTYPES, Header, Layer, Metadata, Provenance, TensorInfo
from ._schema import SchemaProblem, load_schema, pointer_token

__all__ = ["open", "BNMFile", "MAGIC", "SUPPORTED_MAJOR", "KNOWN_MINOR"]

#: ``89 42 4E 4D 0D 0A 1A 0A``: the first 8 bytes of every `.bnm` file.
MAGIC = b"\x89BNM\r\n\x1a\n"
HEADER_SIZE = 64
ALIGNMENT = 64
#: The major version this reader reads.
SUPPORTED_MAJOR = 1
#: The newest minor version this reader knows; newer minors of major 1 are read leniently.
KNOWN_MINOR = 0
MAX_MANIFEST_LENGTH = 64 << 20
MAX_INTEGER = 1 << 53
REQUIRED_FLAGS_MASK = 0x0000FFFF
RESERVED = range(52, 60)
#: Bytes read at a time when checksumming tensors (never through the memory map, so verifying
#: a large file does not make it resident).
CHUNK = 4 << 20

# What a file starts with after text-mode damage, and what happened (same list and order as the
# Swift reader's `BNMFile.textModeDamagePatterns`). A pattern counts only when the file holds all
# of its bytes.
TEXT_MODE_PATTERNS: Tuple[Tuple[bytes, str], ...] = (
    (b"\x09BNM", "the high bit of the first byte was stripped (7-bit transfer)"),
    (b"\x89BNM\x0a\x1a\x0a", "CR LF was converted to LF"),
    (b"\x89BNM\x0d\x0d\x0a\x1a\x0d\x0a", "LF was converted to CR LF"),
    (b"\x89BNM\x0d\x0a\x1a\x0d\x0a", "LF was converted to CR LF"),
    (b"\x89BNM\x0d\x1a\x0d", "line endings were converted to CR"),
    (b"\x89BNM\x0d\x0d\x1a\x0d", "line endings were converted to CR"),
    (b"\x89BNM\x0a\x0a\x1a\x0a", "line endings were converted to LF"),
)

_FLOAT_DTYPES = {"f16", "bf16", "f32", "f64"}
_BN_ROLES = ("gamma", "beta", "mean", "variance")

PathLike = Union[str, "os.PathLike[str]"]


def _list(values: Any) -> str:
    """A list as Swift prints an array: ``[1, 2]``."""
    return "[" + ", ".join(str(v) for v in values) + "]"


def _round_up(value: int) -> int:
    return (value + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _pread_exact(fd: int, length: int, offset: int, path: str) -> bytes:
    """Reads exactly ``length`` bytes at ``offset`` (the caller checked they exist)."""
    parts: List[bytes] = []
    remaining = length
    position = offset
    while remaining > 0:
        try:
            chunk = os.pread(fd, min(remaining, 1 << 30), position)
        except OSError as error:
            raise UnreadableError(path, f"read failed: {error.strerror} (errno {error.errno})", kind="io",
                                  errno=error.errno) from error
        if not chunk:
            raise ExtentError(path, f"file is truncated: it ended at {position} while {remaining} more bytes were "
                              "being read (was it changed while being read?)", kind="truncated", offset=position)
        parts.append(chunk)
        remaining -= len(chunk)
        position += len(chunk)
    return b"".join(parts)


def _text_mode_damage(start: bytes) -> Optional[str]:
    for pattern, detail in TEXT_MODE_PATTERNS:
        if start.startswith(pattern):
            return detail
    return None


def _read_header(head: bytes, size: int, path: str) -> Header:
    """Rules 1–6 of docs/FORMAT.md, in order, on the first ``min(size, 64)`` bytes (plus the
    first 16 for the text-mode patterns) of a file of ``size`` bytes."""
    prefix = head[:8]
    if prefix != MAGIC[: len(prefix)]:
        damage = _text_mode_damage(head[:16])
        if damage is not None:
            raise TextModeDamageError(path, f"file was damaged by a text-mode transfer ({damage}); transfer it again "
                                      "in binary mode", kind="textModeDamage", offset=0)
        raise UnreadableError(path, "not a .bnm file (first bytes %s)" % " ".join("%02x" % b for b in prefix),
                              kind="badMagic", offset=0)
    if size < 12:
        raise ExtentError(path, f"file is truncated: the header needs {HEADER_SIZE} bytes but the file has {size}; "
                          "re-copy or re-convert it", kind="truncated", offset=size)
    major = struct.unpack_from("<H", head, 8)[0]
    if major != SUPPORTED_MAJOR:
        raise UnreadableError(path, f".bnm major version {major} is not supported (this reader supports "
                              f"{SUPPORTED_MAJOR}); use a newer reader", kind="unsupportedMajorVersion", offset=8)
    if size < HEADER_SIZE:
        raise ExtentError(path, f"file is truncated: the header needs {HEADER_SIZE} bytes but the file has {size}; "
                          "re-copy or re-convert it", kind="truncated", offset=size)
    (minor, flags, m_off, m_len, d_off, d_len, m_crc) = struct.unpack_from("<HIQQQQI", head, 10)
    stored_crc = struct.unpack_from("<I", head, 60)[0]
    actual_crc = zlib.crc32(head[:60])
    if stored_crc != actual_crc:
        raise HeaderChecksumError(path, "header is damaged (header CRC-32 is %08x, stored %08x)" % (actual_crc, stored_crc),
                                  kind="headerChecksumMismatch", offset=60)
    header = Header(major, minor, flags, m_off, m_len, d_off, d_len, m_crc, stored_crc)
    unknown_required = flags & REQUIRED_FLAGS_MASK
    if unknown_required:
        raise UnreadableError(path, "file needs features this reader lacks (required flags 0x%08x); use a newer reader"
                              % unknown_required, kind="unsupportedRequiredFlags", offset=12)
    known_minor = minor <= KNOWN_MINOR
    if known_minor:
        for index in RESERVED:
            if head[index] != 0:
                raise PaddingError(path, f"reserved header byte at offset {index} is not zero (a version 1.0 writer "
                                   "writes zeros)", kind="nonZeroPadding", offset=index)

    def invalid(field: str, value: int, message: str, cls: Type[BNMError] = ExtentError) -> BNMError:
        return cls(path, f"header field {field} = {value} is invalid: {message}", kind="invalidHeaderField",
                   offset={"manifest_offset": 16, "data_offset": 32, "data_length": 40}[field])

    for field_name, value in (("manifest_offset", m_off), ("data_offset", d_off), ("data_length", d_len)):
        if value > MAX_INTEGER:
            raise invalid(field_name, value, "exceeds 2^53")
    if m_off < HEADER_SIZE:
        raise invalid("manifest_offset", m_off, f"must be at least {HEADER_SIZE} (the manifest follows the header)")
    if known_minor and m_off != HEADER_SIZE:
        raise invalid("manifest_offset", m_off, f"must be {HEADER_SIZE} in a file of version 1.{minor} "
                      "(the manifest follows the header directly)")
    if m_len > MAX_MANIFEST_LENGTH:
        raise ExtentError(path, f"manifest is {m_len} bytes, more than the {MAX_MANIFEST_LENGTH}-byte limit",
                          kind="manifestTooLarge", offset=24)
    manifest_end = m_off + m_len
    data_end = d_off + d_len
    if d_off % ALIGNMENT != 0:
        raise invalid("data_offset", d_off, "must be a multiple of 64", AlignmentError)
    if d_off < manifest_end:
        raise invalid("data_offset", d_off, f"must not be inside the manifest (which ends at {manifest_end})")
    if d_off != _round_up(manifest_end):
        raise invalid("data_offset", d_off, "must be the manifest's end rounded up to a multiple of 64 "
                      f"({_round_up(manifest_end)}): at most 63 padding bytes")
    if manifest_end > size:
        raise ExtentError(path, f"file is truncated: the manifest needs {manifest_end} bytes but the file has {size}; "
                          "re-copy or re-convert it", kind="truncated", offset=size)
    if data_end > size:
        raise ExtentError(path, f"file is truncated: the data section needs {data_end} bytes but the file has {size}; "
                          "re-copy or re-convert it", kind="truncated", offset=size)
    if data_end != size:
        raise ExtentError(path, f"file is {size} bytes but its header accounts for {data_end}", kind="trailingBytes",
                          offset=data_end)
    return header


def _check_attribute_relations(layers: List[Dict[str, Any]], path: str) -> None:
    """Rule 9, the part no JSON Schema keyword expresses: attribute limits that relate two
    attributes of a layer, which the Swift decoder checks with the schema's (its
    ``LayerKind.checkAttributes``) and reports as ``manifestSchema`` in the same words. The
    schema has already checked every value alone."""
    for index, layer in enumerate(layers):
        attributes = layer["attributes"]
        if layer["kind"] == "conv2d" and "groups" in attributes:
            filters, groups = attributes["filters"], attributes["groups"]
            if filters % groups != 0:
                pointer = f"/model/layers/{index}/attributes/groups"
                raise ManifestError(path, f"manifest field '{pointer}' must divide filters = {filters}, got {groups}",
                                    kind="manifestSchema", pointer=pointer)


def _check_tensor_table(entries: List[TensorInfo], data_length: int, path: str) -> None:
    """Rules 10 and 11: per tensor, then the layout in table order."""
    names = set()
    for entry in entries:
        if entry.name in names:
            raise ManifestError(path, f"two tensors are named '{entry.name}'", kind="duplicateTensorName",
                                tensor=entry.name)
        names.add(entry.name)
        # As the Swift reader (`Checked.byteCount`): the product of the non-zero dimensions
        # must fit a signed 64-bit integer even when another dimension is 0, then × dtype size
        # too, and the result must be ≤ 2^53. Stopping at the first overflow also keeps a
        # hostile shape of many huge dimensions from costing big-integer arithmetic.
        count: Optional[int] = 1
        for dim in entry.shape:
            if dim != 0:
                assert count is not None
                count *= dim
                if count >= 1 << 63:
                    count = None
                    break
        if count is not None and 0 in entry.shape:
            count = 0
        expected = None if count is None else count * DTYPE_SIZES[entry.dtype]
        if expected is None or expected >= 1 << 63 or expected > MAX_INTEGER:
            raise ExtentError(path, f"tensor '{entry.name}': shape {_list(entry.shape)} of {entry.dtype} is too large "
                              "(byte count overflows)", kind="shapeOverflow", tensor=entry.name)
        if expected != entry.length:
            raise ExtentError(path, f"tensor '{entry.name}': length is {entry.length} bytes but dtype × shape needs "
                              f"{expected}", kind="lengthMismatch", tensor=entry.name)
        if entry.offset % ALIGNMENT != 0:
            raise AlignmentError(path, f"tensor '{entry.name}': offset {entry.offset} is not a multiple of 64",
                                 kind="misaligned", tensor=entry.name)
        if entry.offset + entry.length > data_length:
            raise ExtentError(path, f"tensor '{entry.name}': bytes {entry.offset}..<{entry.offset}+{entry.length} lie "
                              f"outside the {data_length}-byte data section", kind="extentOutOfBounds", tensor=entry.name)
    end = 0
    for index, entry in enumerate(entries):
        expected_offset = 0 if index == 0 else _round_up(end)
        if entry.offset < expected_offset and entry.length > 0:
            for earlier in entries[:index]:
                if (earlier.length > 0 and earlier.offset < entry.offset + entry.length
                        and entry.offset < earlier.offset + earlier.length):
                    raise ExtentError(path, f"tensors '{earlier.name}' and '{entry.name}' overlap",
                                      kind="overlappingTensors", tensor=entry.name)
        if entry.offset != expected_offset:
            raise ExtentError(path, f"tensor '{entry.name}' starts at {entry.offset}, but the layout rules put it at "
                              f"{expected_offset}", kind="unexpectedGap", tensor=entry.name)
        end = entry.offset + entry.length
    if data_length != end:
        raise ExtentError(path, f"header says the data section is {data_length} bytes but the tensors end at {end}",
                          kind="dataLengthMismatch")


def _check_references(layers: List[Layer], entries: List[TensorInfo], path: str) -> None:
    """Rule 12: every reference names a table entry; every entry is used by exactly one layer."""
    listed = {entry.name for entry in entries}
    used = set()
    for layer in layers:
        for position, tensor in enumerate(layer.tensors.values()):
            if tensor not in listed:
                raise ManifestError(path, f"layer '{layer.name}' refers to tensor '{tensor}', which the manifest does "
                                    "not list", kind="unknownTensor", tensor=tensor,
                                    pointer=f"{layer.pointer}/tensors/{position}/tensor")
            if tensor in used:
                pointer = f"{layer.pointer}/tensors/{position}/tensor"
                raise ManifestError(path, f"manifest field '{pointer}' uses tensor '{tensor}', which another layer "
                                    "already uses", kind="inconsistentManifest", pointer=pointer, tensor=tensor)
            used.add(tensor)
    for index, entry in enumerate(entries):
        if entry.name not in used:
            raise ManifestError(path, f"manifest field '/tensors/{index}' tensor '{entry.name}' is used by no layer",
                                kind="inconsistentManifest", pointer=f"/tensors/{index}", tensor=entry.name)


def _check_model(layers: List[Layer], inputs: Tuple[str, ...], outputs: Tuple[str, ...],
                 table: Dict[str, TensorInfo], path: str) -> None:
    """Rule 13: the IR's rules (the Swift `Model.validate()`), as ``invalidModel``."""

    # Messages are the Swift `ModelError` descriptions, word for word.
    def fail(layer: Optional[Layer], message: str, pointer: Optional[str] = None) -> ManifestError:
        where = pointer if pointer is not None else (layer.pointer if layer is not None else "/model/layers")
        return ManifestError(path, f"invalid model at '{where}': {message}", kind="invalidModel", pointer=where)

    seen = set()
    by_name: Dict[str, Layer] = {}
    for layer in layers:
        for inbound in layer.inbound:
            if inbound not in seen:
                raise fail(layer, f"layer '{layer.name}' takes input from '{inbound}', which is not an earlier layer "
                           "(layers must be in topological order)")
        if layer.name in seen:
            raise fail(layer, f"two layers are named '{layer.name}'; layer names must be unique")
        seen.add(layer.name)
        by_name[layer.name] = layer
        # Roles are unique and non-empty: the manifest's list becomes a dict, so a repeated role
        # is detected while decoding (see _layers). A reshape's single -1 is the schema's
        # (maxContains, rule 9). Batch norm is the only kind whose tensors the reader checks,
        # as in Swift: a grouped conv2d kernel or layer_norm parameters of the wrong shape are
        # `bnconvert validate`'s findings (CH002, CH008), not reasons to refuse the file.
        if layer.kind == "batch_norm":
            _check_batch_norm(layer, table, fail)
    for name in inputs:
        if name not in by_name or by_name[name].kind != "input":
            raise fail(None, f"model input '{name}' is not an input layer of the model", "/model/inputs")
    for name in outputs:
        if name not in seen:
            raise fail(None, f"model output '{name}' is not a layer of the model", "/model/outputs")


def _check_batch_norm(layer: Layer, table: Dict[str, TensorInfo], fail: Any) -> None:
    mode = layer.bn_mode
    reference: Optional[Tuple[int, ...]] = None
    output = layer.output_shape
    for role in _BN_ROLES:
        name = layer.tensors.get(role)
        if name is None:
            raise fail(layer, f"layer '{layer.name}' has no '{role}' tensor, which its kind requires")
        info = table[name]
        shape = info.shape
        ok = info.dtype in _FLOAT_DTYPES and len(shape) == 4 and shape[0] == 1
        if ok and mode == "spatial":
            ok = shape[2] == 1 and shape[3] == 1
        if ok and reference is not None:
            ok = shape == reference
        if ok and output is not None:
            if mode == "spatial":
                ok = len(output) > 0 and output[0] == shape[1]
            elif len(output) == 3:
                ok = tuple(shape[1:]) == tuple(output)
            else:
                ok = (output[0] if output else -1, 1, 1) == tuple(shape[1:])
        if not ok:
            expected = ("floating point [1, C, 1, 1] (spatial)" if mode == "spatial"
                        else "floating point [1, C, H, W] (per-activation)")
            if output is not None:
                expected += f" matching output shape {_list(output)}"
            if reference is not None:
                expected += f" like the other parameters {_list(reference)}"
            raise fail(layer, f"layer '{layer.name}': tensor '{role}' is {info.dtype} {_list(shape)}, expected {expected}")
        reference = shape


class BNMFile:
    """An opened `.bnm` file: header and manifest checked, tensor data memory-mapped.

    Create it with :func:`bnm.open`. Opening enforces rules 1–13 of docs/FORMAT.md ("Rules a
    reader must enforce") reading only the header and the manifest; ``verify=True`` (or
    :meth:`verify`) adds rule 14: every tensor's CRC-32 and zero padding.

    Tensors are handed out as read-only numpy views of the memory map (no copy). They stay
    valid after :meth:`close`: the mapping lives as long as any of them does. If another
    process truncates the file while it is mapped, touching a view raises SIGBUS (as with any
    mmap reader); pass ``copy=True`` to :meth:`get_tensor` where that can happen.
    """

    def __init__(self, path: PathLike, verify: bool = False) -> None:
        self.path: str = os.fspath(path)
        self._mmap: Optional[mmap.mmap] = None
        self._fd: Optional[int] = None
        try:
            try:
                self._open()
            except RecursionError:
                # Safety net: the JSON depth is capped at 512 before parsing, and every check
                # after it is iterative or bounded by the schema; never let this escape as such.
                raise ManifestError(self.path, "manifest is nested too deeply to check", kind="manifestSchema") from None
            if verify:
                self.verify()
        except BaseException:
            self.close()
            raise

    # MARK: opening

    def _open(self) -> None:
        path = self.path
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
        except OSError as error:
            raise UnreadableError(path, f"open failed: {error.strerror} (errno {error.errno})", kind="io",
                                  errno=error.errno) from error
        self._fd = fd
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableError(path, "open failed: not a regular file", kind="io")
        size = info.st_size
        head = _pread_exact(fd, min(size, HEADER_SIZE), 0, path)
        self.header: Header = _read_header(head, size, path)
        header = self.header
        raw = _pread_exact(fd, header.manifest_length, header.manifest_offset, path)
        crc = zlib.crc32(raw)
        if crc != header.manifest_crc32:
            raise HeaderChecksumError(path, "manifest is damaged (CRC-32 is %08x, stored %08x)" % (crc, header.manifest_crc32),
                                      kind="manifestChecksumMismatch", offset=header.manifest_offset)
        try:
            manifest = parse_strict(raw)
        except JSONProblem as problem:
            offset = header.manifest_offset + problem.offset
            raise ManifestError(path, f"manifest is not valid UTF-8 JSON at file offset {offset}: {problem.message}",
                                kind="manifestNotJSON", offset=offset) from None
        self._strict = header.minor <= KNOWN_MINOR
        try:
            load_schema().check(manifest, strict=self._strict)
        except SchemaProblem as problem:
            raise ManifestError(path, f"manifest field '{problem.pointer}' {problem.message}", kind="manifestSchema",
                                pointer=problem.pointer) from None
        _check_attribute_relations(manifest["model"]["layers"], path)
        self.manifest: Dict[str, Any] = manifest
        entries = [
            TensorInfo(name=t["name"], dtype=t["dtype"], shape=tuple(t["shape"]), offset=t["offset"], length=t["length"],
                       crc32=int(t["crc32"], 16), file_offset=header.data_offset + t["offset"])
            for t in manifest["tensors"]
        ]
        _check_tensor_table(entries, header.data_length, path)
        self._entries: Dict[str, TensorInfo] = {entry.name: entry for entry in entries}
        self._order: List[str] = [entry.name for entry in entries]
        self.layers: List[Layer] = self._layers(manifest["model"]["layers"])
        model = manifest["model"]
        provenance = manifest["provenance"]
        self.metadata: Metadata = Metadata(
            name=model["name"], inputs=tuple(model["inputs"]), outputs=tuple(model["outputs"]),
            layout_notes=tuple(model["layout_notes"]), conventions=dict(manifest["conventions"]),
            provenance=Provenance(source_format=provenance["source_format"], source_version=provenance["source_version"],
                                  converter_version=provenance["converter_version"],
                                  source_architecture=provenance["source_architecture"], extra=provenance["extra"]),
            format_version=header.version)
        _check_references(self.layers, entries, path)
        _check_model(self.layers, self.metadata.inputs, self.metadata.outputs, self._entries, path)
        self._map(size)

    def _layers(self, items: List[Dict[str, Any]]) -> List[Layer]:
        layers = []
        for index, item in enumerate(items):
            roles: Dict[str, str] = {}
            for position, reference in enumerate(item["tensors"]):
                role = reference["role"]
                if role in roles:
                    pointer = f"/model/layers/{index}"
                    raise ManifestError(self.path, f"invalid model at '{pointer}': layer '{item['name']}' has two "
                                        f"'{role}' tensors", kind="invalidModel", pointer=pointer)
                roles[role] = reference["tensor"]
            shape = item.get("output_shape")
            layers.append(Layer(name=item["name"], kind=item["kind"], inbound=tuple(item["inbound"]),
                                output_shape=tuple(shape) if shape is not None else None,
                                attributes=item["attributes"], tensors=roles, index=index))
        return layers

    def _map(self, size: int) -> None:
        assert self._fd is not None
        if size == 0:  # cannot happen after the header checks; mmap refuses empty files
            raise ExtentError(self.path, "file is empty", kind="truncated")
        try:
            self._mmap = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            raise UnreadableError(self.path, f"mmap failed: {error}", kind="io",
                                  errno=getattr(error, "errno", None)) from error
        if len(self._mmap) != size:
            raise ExtentError(self.path, f"file changed size while being opened ({size} → {len(self._mmap)} bytes)",
                              kind="truncated")

    # MARK: access

    def keys(self) -> List[str]:
        """Tensor names, in data order (the order of the manifest's tensor table)."""
        return list(self._order)

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    @property
    def tensors(self) -> Dict[str, TensorInfo]:
        """Every tensor-table entry by name, in data order."""
        return dict(self._entries)

    def tensor_info(self, name: str) -> TensorInfo:
        """The tensor-table entry called ``name`` (:class:`TensorNotFoundError` if none)."""
        try:
            return self._entries[name]
        except KeyError:
            raise TensorNotFoundError(self.path, f"no tensor named '{name}'", kind="noSuchTensor", tensor=name) from None

    def layer(self, name: str) -> Layer:
        """The layer called ``name`` (``KeyError`` if none)."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def get_tensor(self, name: str, copy: bool = False) -> np.ndarray:
        """The tensor ``name`` as a numpy array of its shape, little-endian.

        Without ``copy`` the array is a zero-copy, read-only view of the memory map: only the
        pages you touch are read. ``bf16`` tensors are returned as their raw ``uint16`` bit
        patterns (numpy has no bfloat16); convert with :func:`bnm.bfloat16_to_float32`, or use
        :meth:`get_float32`. With ``copy=True`` the array is an ordinary writable copy.
        """
        info = self.tensor_info(name)
        if self._mmap is None:
            raise ValueError(f"{self.path}: the file is closed")
        dtype = NUMPY_DTYPES[info.dtype]
        array = np.frombuffer(self._mmap, dtype=dtype, count=info.length // dtype.itemsize, offset=info.file_offset)
        array = array.reshape(info.shape)
        return array.copy() if copy else array

    def get_float32(self, name: str) -> np.ndarray:
        """The tensor ``name`` converted to a new float32 array (exact for f16 and bf16)."""
        from ._dtypes import bfloat16_to_float32

        info = self.tensor_info(name)
        array = self.get_tensor(name)
        if info.dtype == "bf16":
            return bfloat16_to_float32(array)
        return array.astype(np.float32)

    def items(self) -> Iterator[Tuple[str, np.ndarray]]:
        """``(name, get_tensor(name))`` for every tensor, in data order (lazily)."""
        for name in self._order:
            yield name, self.get_tensor(name)

    # MARK: checks

    def checksum_failures(self) -> List[TensorChecksumError]:
        """Every tensor whose bytes do not match its CRC-32, in data order (empty when all match).

        Reads the data section in bounded chunks with ``pread``, not through the memory map, so
        memory stays small however large the file is."""
        failures = []
        for name in self._order:
            info = self._entries[name]
            actual = self._crc(info.file_offset, info.length)
            if actual != info.crc32:
                failures.append(TensorChecksumError(
                    self.path, "tensor '%s' is damaged (CRC-32 is %08x, stored %08x)" % (name, actual, info.crc32),
                    kind="checksumMismatch", tensor=name, offset=info.file_offset))
        return failures

    def verify(self) -> None:
        """Rule 14: every tensor's CRC-32 (raises :class:`TensorChecksumError` for the first
        damaged tensor, in data order), then every padding byte after the manifest and between
        tensors is zero (:class:`PaddingError`). The header and manifest CRCs were checked at
        open."""
        failures = self.checksum_failures()
        if failures:
            raise failures[0]
        header = self.header
        gaps = [(header.manifest_offset + header.manifest_length, header.data_offset)]
        end = 0
        for name in self._order:
            info = self._entries[name]
            gaps.append((header.data_offset + end, info.file_offset))
            end = info.offset + info.length
        for start, stop in gaps:
            if stop > start:
                data = self._read(start, stop - start)
                for index, byte in enumerate(data):
                    if byte:
                        raise PaddingError(self.path, f"padding byte at offset {start + index} is not zero",
                                           kind="nonZeroPadding", offset=start + index)

    def _read(self, offset: int, length: int) -> bytes:
        if self._fd is None:
            raise ValueError(f"{self.path}: the file is closed")
        return _pread_exact(self._fd, length, offset, self.path)

    def _crc(self, offset: int, length: int) -> int:
        if self._fd is None:
            raise ValueError(f"{self.path}: the file is closed")
        crc = 0
        buffer = bytearray(min(CHUNK, max(length, 1)))
        view = memoryview(buffer)
        position, remaining = offset, length
        while remaining > 0:
            want = min(remaining, len(buffer))
            got = os.preadv(self._fd, [view[:want]], position) if hasattr(os, "preadv") else self._pread_into(view, want, position)
            if got <= 0:
                raise ExtentError(self.path, f"file is truncated: it ended at {position} while a tensor was being read "
                                  "(was it changed while open?)", kind="truncated", offset=position)
            crc = zlib.crc32(view[:got], crc)
            position += got
            remaining -= got
        return crc

    def _pread_into(self, view: memoryview, want: int, position: int) -> int:
        assert self._fd is not None
        data = os.pread(self._fd, want, position)
        view[: len(data)] = data
        return len(data)

    def read_chunks(self, name: str, chunk_bytes: int = CHUNK) -> Iterator[np.ndarray]:
        """The elements of tensor ``name`` as consecutive flat arrays of at most ``chunk_bytes``
        bytes each, read with ``pread`` into a reused buffer (copy what you keep: each array is
        overwritten by the next). Memory stays at one chunk however large the tensor is."""
        info = self.tensor_info(name)
        dtype = NUMPY_DTYPES[info.dtype]
        step = max(chunk_bytes // dtype.itemsize, 1) * dtype.itemsize
        buffer = bytearray(min(step, max(info.length, dtype.itemsize)))
        view = memoryview(buffer)
        position, remaining = info.file_offset, info.length
        while remaining > 0:
            want = min(remaining, len(buffer))
            got = 0
            while got < want:
                n = self._pread_into(view[got:], want - got, position + got)
                if n <= 0:
                    raise ExtentError(self.path, f"file is truncated: it ended at {position + got} while tensor "
                                      f"'{name}' was being read", kind="truncated", offset=position + got)
                got += n
            yield np.frombuffer(buffer, dtype=dtype, count=want // dtype.itemsize)
            position += want
            remaining -= want

    # MARK: lifetime

    def close(self) -> None:
        """Closes the file. Arrays already handed out stay valid (they keep the mapping)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._mmap is not None:
            try:
                self._mmap.close()
            except BufferError:
                pass  # views are alive; the mapping is released when the last one is
            self._mmap = None

    def __enter__(self) -> "BNMFile":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return (f"<bnm.BNMFile {self.path!r}: .bnm {self.header.major}.{self.header.minor}, {len(self.layers)} layers, "
                f"{len(self._order)} tensors>") if hasattr(self, "layers") else f"<bnm.BNMFile {self.path!r}>"


def open(path: PathLike, verify: bool = False) -> BNMFile:  # noqa: A001 - the module's purpose
    """Opens the `.bnm` file at ``path`` for reading (use as a context manager).

    Every structural rule of docs/FORMAT.md is checked before this returns; with
    ``verify=True`` every tensor's CRC-32 and every padding byte are checked too. Any problem
    raises a :class:`bnm.BNMError` whose ``code`` is the Swift tool's finding code.
    """
    return BNMFile(path, verify=verify)
