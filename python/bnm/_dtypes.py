"""bfloat16 without ml_dtypes: `.bnm` ``bf16`` tensors are handed out as ``uint16`` bit patterns.

A bfloat16 is the upper half of a float32, so widening is exact: shift the 16 bits into the
high half of a 32-bit word and reinterpret. Narrowing rounds to nearest, ties to even (what
TensorFlow, PyTorch and ml_dtypes do), and keeps NaN a NaN.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bfloat16_to_float32", "float32_to_bfloat16"]


def bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    """Converts bfloat16 bit patterns (any integer array of 16-bit values, e.g. what
    :meth:`bnm.BNMFile.get_tensor` returns for a ``bf16`` tensor) to a new float32 array of the
    same shape. Exact: every bfloat16 value, including ±0, ±inf, subnormals and NaN payloads,
    becomes the float32 with the same value."""
    array = np.asarray(bits)
    if array.dtype.kind not in "ui" or array.dtype.itemsize != 2:
        raise TypeError(f"expected 16-bit integer bit patterns, got {array.dtype}")
    widened = array.astype("<u4") << np.uint32(16)
    return widened.view("<f4")


def float32_to_bfloat16(values: np.ndarray) -> np.ndarray:
    """Rounds float32 values to bfloat16 (nearest, ties to even) and returns the ``uint16`` bit
    patterns, the way a ``bf16`` tensor is stored. NaNs stay NaNs (quiet)."""
    array = np.asarray(values, dtype="<f4")
    bits = array.view("<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    nan = np.isnan(array)
    result = rounded.astype("<u2")
    if nan.any():
        result = np.where(nan, ((bits >> 16) | 0x0040).astype("<u2"), result)
    return result
