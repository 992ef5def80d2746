"""The exceptions of the package: one :class:`BNMError` per problem, with a stable code.

Every problem a file can have is reported as a :class:`BNMError` (never as ``IndexError``,
``struct.error``, ``UnicodeDecodeError`` …). Its :attr:`BNMError.code` is the finding code the
Swift tool ``bnconvert validate`` reports for the same problem (``FILE001`` … ``FILE008``, see
the repository README, "Validation"), and :attr:`BNMError.kind` names the case of the Swift
reader's ``BNMError`` enum (``truncated``, ``badMagic``, ``misaligned`` …) for finer matching.
There is one subclass per code, so ``except bnm.ExtentError`` catches every FILE003 problem.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

__all__ = [
    "BNMError",
    "TensorChecksumError",
    "HeaderChecksumError",
    "ExtentError",
    "AlignmentError",
    "ManifestError",
    "TensorNotFoundError",
    "PaddingError",
    "TextModeDamageError",
    "UnreadableError",
    "error_class",
]


class BNMError(Exception):
    """A `.bnm` file could not be read, or failed a check.

    Attributes:
        code: the stable finding code (``"FILE001"`` … ``"FILE008"``), as ``bnconvert validate``
            reports it.
        kind: the Swift reader's error case (e.g. ``"truncated"``, ``"manifestSchema"``).
        path: the file concerned.
        detail: the problem without the leading ``"<path>: "``.
        pointer: JSON Pointer (RFC 6901) of the manifest field at fault, when there is one.
        tensor: name of the tensor-table entry at fault, when there is one.
        offset: byte offset in the file of the fault, when there is one.
    """

    code: str = "FILE008"

    def __init__(
        self,
        path: str,
        detail: str,
        *,
        kind: str,
        pointer: Optional[str] = None,
        tensor: Optional[str] = None,
        offset: Optional[int] = None,
    ) -> None:
        self.path = path
        self.detail = detail
        self.kind = kind
        self.pointer = pointer
        self.tensor = tensor
        self.offset = offset
        super().__init__(f"{path}: {detail}")

    @property
    def message(self) -> str:
        """The full one-line message, ``"<path>: <detail>"``."""
        return str(self.args[0])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, kind={self.kind!r}, message={self.message!r})"


class TensorChecksumError(BNMError):
    """FILE001: a tensor's bytes do not match its CRC-32 (``checksumMismatch``)."""

    code = "FILE001"


class HeaderChecksumError(BNMError):
    """FILE002: the header's or the manifest's CRC-32 does not match."""

    code = "FILE002"


class ExtentError(BNMError):
    """FILE003: wrong file size or extent (truncated, trailing bytes, a header field or tensor
    past the end, holes, overlaps, a length that disagrees with dtype × shape, a manifest over
    the 64 MiB cap)."""

    code = "FILE003"


class AlignmentError(BNMError):
    """FILE004: a tensor offset or the data section offset is not a multiple of 64."""

    code = "FILE004"


class ManifestError(BNMError):
    """FILE005: the manifest is not UTF-8 JSON, breaks the schema, disagrees with the tensor
    table, or describes a model that breaks the format's rules."""

    code = "FILE005"


class TensorNotFoundError(ManifestError, KeyError):
    """FILE005: :meth:`bnm.BNMFile.get_tensor` was asked for a name the file does not hold
    (``noSuchTensor``). Also a :class:`KeyError`."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class PaddingError(BNMError):
    """FILE006: a padding byte or a reserved header byte is not zero."""

    code = "FILE006"


class TextModeDamageError(BNMError):
    """FILE007: the file was altered by a text-mode transfer (line endings converted, high bit
    stripped). Transfer it again in binary mode."""

    code = "FILE007"


class UnreadableError(BNMError):
    """FILE008: not a readable `.bnm`: cannot be opened, not a `.bnm` at all, or a major version
    or required feature this reader lacks. ``errno`` is set for operating-system failures."""

    code = "FILE008"

    def __init__(self, path: str, detail: str, *, kind: str, errno: Optional[int] = None, **more: object) -> None:
        super().__init__(path, detail, kind=kind, **more)  # type: ignore[arg-type]
        self.errno = errno


_BY_CODE: Dict[str, Type[BNMError]] = {
    cls.code: cls
    for cls in (
        TensorChecksumError,
        HeaderChecksumError,
        ExtentError,
        AlignmentError,
        ManifestError,
        PaddingError,
        TextModeDamageError,
        UnreadableError,
    )
}


def error_class(code: str) -> Type[BNMError]:
    """The :class:`BNMError` subclass of a finding code (``"FILE003"`` → :class:`ExtentError`)."""
    return _BY_CODE[code]
