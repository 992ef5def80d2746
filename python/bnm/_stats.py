"""Summary statistics of a tensor, computed in bounded chunks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ._dtypes import bfloat16_to_float32
from ._reader import CHUNK, BNMFile

__all__ = ["TensorStats", "tensor_stats"]


@dataclass(frozen=True)
class TensorStats:
    """min / max / mean / population std over the elements that are not NaN (±inf included,
    so one inf makes the mean inf and the std NaN), and how many are NaN. ``None`` when no
    element is left (an empty tensor, or all NaN)."""

    count: int
    nan_count: int
    min: Optional[float]
    max: Optional[float]
    mean: Optional[float]
    std: Optional[float]


def tensor_stats(f: BNMFile, name: str, chunk_bytes: int = CHUNK) -> TensorStats:
    """Statistics of tensor ``name`` of ``f``, reading at most ``chunk_bytes`` of it at a time
    (``bf16`` as its float32 values). Means and variances are combined chunk by chunk (Chan et
    al.) in float64, so memory stays at a few chunks whatever the tensor's size."""
    info = f.tensor_info(name)
    n = 0
    nans = 0
    mean = 0.0
    m2 = 0.0
    low: Optional[float] = None
    high: Optional[float] = None
    for chunk in f.read_chunks(name, chunk_bytes):
        if info.dtype == "bf16":
            values = bfloat16_to_float32(chunk).astype(np.float64)
        else:
            values = chunk.astype(np.float64)
        if info.dtype in ("f16", "bf16", "f32", "f64"):
            mask = np.isnan(values)
            k = int(mask.sum())
            if k:
                nans += k
                values = values[~mask]
        if values.size == 0:
            continue
        c_low, c_high = float(values.min()), float(values.max())
        low = c_low if low is None else min(low, c_low)
        high = c_high if high is None else max(high, c_high)
        with np.errstate(invalid="ignore", over="ignore"):
            c_n = values.size
            c_mean = float(values.mean())
            c_m2 = float(((values - c_mean) ** 2).sum()) if math.isfinite(c_mean) else math.nan
        total = n + c_n
        delta = c_mean - mean
        with np.errstate(invalid="ignore", over="ignore"):
            if n == 0:
                mean, m2 = c_mean, c_m2
            else:
                mean = mean + delta * c_n / total
                m2 = m2 + c_m2 + delta * delta * n * c_n / total
        n = total
    if n == 0:
        return TensorStats(count=info.size, nan_count=nans, min=None, max=None, mean=None, std=None)
    std = math.sqrt(m2 / n) if m2 >= 0 and math.isfinite(m2) else math.nan
    return TensorStats(count=info.size, nan_count=nans, min=low, max=high, mean=mean, std=std)
