"""Read bnconvert's `.bnm` model files: strict, zero-copy, numpy only.

>>> import bnm
>>> with bnm.open("model.bnm", verify=True) as f:          # doctest: +SKIP
...     for layer in f.layers:
...         print(layer.name, layer.kind, layer.bn_mode, layer.tensors)
...     kernel = f.get_tensor("conv/kernel")                # read-only view of the mapped file

The format is specified in the repository's ``docs/FORMAT.md``; the manifest's JSON Schema
(``schemas/bnm.schema.json``) ships with the package. Every problem with a file raises a
:class:`BNMError` whose ``code`` is the finding code of ``bnconvert validate``.
"""

from ._dtypes import bfloat16_to_float32, float32_to_bfloat16
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
    error_class,
)
from ._model import DTYPE_SIZES, NUMPY_DTYPES, Header, Layer, Metadata, Provenance, TensorInfo
from ._reader import KNOWN_MINOR, MAGIC, SUPPORTED_MAJOR, BNMFile, open
from ._stats import TensorStats, tensor_stats

__version__ = "1.0.0"

__all__ = [
    "open",
    "BNMFile",
    "Header",
    "Layer",
    "Metadata",
    "Provenance",
    "TensorInfo",
    "TensorStats",
    "tensor_stats",
    "bfloat16_to_float32",
    "float32_to_bfloat16",
    "NUMPY_DTYPES",
    "DTYPE_SIZES",
    "MAGIC",
    "SUPPORTED_MAJOR",
    "KNOWN_MINOR",
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
