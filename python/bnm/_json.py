"""Strict RFC 8259 parsing of the manifest, with the limits of the Swift parser.

Refused (each with the byte offset of the fault): bytes that are not UTF-8, a byte-order mark,
comments, trailing commas, ``NaN``/``Infinity``, leading zeros, unescaped control characters,
lone UTF-16 surrogate escapes, duplicate keys, anything after the value, arrays/objects nested
deeper than 512, number literals longer than 1024 bytes and numbers too large for a double.

Integers are kept as Python ``int`` and every other number as ``float``, so the format's lexical
rule "an integer field is written as an integer token" is checked simply by type (``64.0`` is
a ``float``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Tuple

__all__ = ["JSONProblem", "parse_strict", "MAX_DEPTH", "MAX_NUMBER_LENGTH"]

#: Deepest nesting of arrays and objects accepted (the top-level container is depth 1).
MAX_DEPTH = 512
#: Longest number literal accepted, in bytes.
MAX_NUMBER_LENGTH = 1024

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JSONProblem(Exception):
    """Why the bytes are not acceptable JSON; ``offset`` is relative to the start of the text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _BadNumber(Exception):
    def __init__(self, text: str, reason: str) -> None:
        super().__init__(text)
        self.text = text
        self.reason = reason


def _pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    result: Dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Duplicate(key)
        result[key] = value
    return result


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _BadNumber(text, "is longer than the limit of %d bytes" % MAX_NUMBER_LENGTH)
    value = int(text)
    try:
        float(value)  # the Swift parser reads integers beyond Int64 as doubles
    except OverflowError:
        raise _BadNumber(text, "is too large for a 64-bit float") from None
    return value


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _BadNumber(text, "is longer than the limit of %d bytes" % MAX_NUMBER_LENGTH)
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _BadNumber(text, "is too large for a 64-bit float")
    return value


def _parse_constant(text: str) -> Any:
    raise _BadNumber(text, "is not JSON (NaN and Infinity are not allowed)")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant, strict=True
)


def _max_depth(raw: bytes) -> Tuple[int, int]:
    """Deepest nesting of ``raw`` outside strings, and the byte offset where it first exceeds
    the limit, in bounded memory (1 MiB at a time). An approximation only when the text is not
    JSON anyway (an unterminated string)."""
    import numpy as np

    stripped = _STRING.sub(lambda m: b"\x00" * len(m.group(0)), raw)
    codes = np.frombuffer(stripped, dtype=np.uint8)
    deepest, carry, where = 0, 0, 0
    step = 1 << 20
    for start in range(0, codes.size, step):
        part = codes[start:start + step]
        steps = np.zeros(part.shape, dtype=np.int32)
        steps[(part == 0x5B) | (part == 0x7B)] = 1
        steps[(part == 0x5D) | (part == 0x7D)] = -1
        depth = np.cumsum(steps, dtype=np.int64) + carry
        local = int(depth.max()) if depth.size else carry
        if local > deepest:
            if local > MAX_DEPTH and deepest <= MAX_DEPTH:
                where = start + int(np.argmax(depth > MAX_DEPTH))
            deepest = local
        carry = int(depth[-1]) if depth.size else carry
    return deepest, where


def _byte_offset(text: str, char_index: int) -> int:
    return len(text[:char_index].encode("utf-8", "surrogatepass"))


def _has_surrogate(value: Any) -> bool:
    """Whether any string (key or value) holds a lone surrogate code point; iterative, so the
    depth of the document does not matter."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_strict(raw: bytes) -> Any:
    """Parses ``raw`` (UTF-8 JSON) strictly; raises :class:`JSONProblem` with a byte offset."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JSONProblem("the bytes are not valid UTF-8", error.start) from None
    if text.startswith("\ufeff"):
        raise JSONProblem("a byte-order mark is not allowed", 0)
    if text.strip(" \t\r\n") == "":
        raise JSONProblem("the text is empty; expected a JSON value", len(raw))
    depth, where = _max_depth(raw)
    if depth > MAX_DEPTH:
        raise JSONProblem("arrays and objects are nested deeper than the limit of %d" % MAX_DEPTH, where)
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise JSONProblem(error.msg, _byte_offset(text, error.pos)) from None
    except _Duplicate as error:
        key = json.dumps(error.key)
        found = [m.start() for m in re.finditer(re.escape(key) + r"\s*:", text)]
        at = found[1] if len(found) > 1 else 0
        raise JSONProblem("duplicate key %s in object" % key, _byte_offset(text, at)) from None
    except _BadNumber as error:
        at = text.find(error.text)
        raise JSONProblem("number %s %s" % (error.text[:40], error.reason), _byte_offset(text, max(at, 0))) from None
    except (RecursionError, ValueError) as error:  # ValueError: e.g. int digit limits
        raise JSONProblem(str(error), 0) from None
    if _SURROGATE_ESCAPE.search(text) and _has_surrogate(value):
        match = _SURROGATE_ESCAPE.search(text)
        at = match.start() if match else 0
        raise JSONProblem("a \\u escape is half of a UTF-16 surrogate pair without its other half", _byte_offset(text, at))
    return value
