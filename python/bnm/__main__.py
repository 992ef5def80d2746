"""``python -m bnm dump FILE [--tensor NAME] [--stats] [--verify] [--json]``.

Prints a `.bnm` file's model (layers with kind, BN mode, inbound layers, output shape,
attributes and tensors by role) and its tensor table. ``--stats`` adds min/max/mean/std and the
NaN count of every tensor, computed in bounded chunks; ``--tensor NAME`` limits the output to
one tensor and prints its values. ``--json`` prints the same as one JSON document.

Exit codes (as ``bnconvert``): 0 success, 2 unusable or damaged file (one line on stderr:
``bnm: error: FILE: what`` with the finding code), 64 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, Dict, List, NoReturn, Optional, Sequence

import numpy as np

from . import _reader
from ._dtypes import bfloat16_to_float32
from ._errors import BNMError
from ._stats import TensorStats, tensor_stats

EXIT_USAGE = 64
EXIT_UNUSABLE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _json_inline(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _format_number(value: Optional[float]) -> str:
    if value is None:
        return "-"
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.6g}"


def _attributes_text(attributes: Dict[str, Any]) -> str:
    parts = []
    for key, value in attributes.items():
        if key == "activation" and isinstance(value, dict) and set(value) == {"name"}:
            parts.append(f"activation={value['name']}")
        elif key == "config":
            parts.append("config=…")
        else:
            parts.append(f"{key}={_json_inline(value)}")
    return " ".join(parts)


def _stats_dict(stats: TensorStats) -> Dict[str, Any]:
    def clean(value: Optional[float]) -> Any:
        if value is None or math.isnan(value):
            return None if value is None else "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value

    return {"min": clean(stats.min), "max": clean(stats.max), "mean": clean(stats.mean), "std": clean(stats.std),
            "nan_count": stats.nan_count}


def _dump(f: _reader.BNMFile, tensor: Optional[str], stats: bool, as_json: bool) -> None:
    names: List[str] = [f.tensor_info(tensor).name] if tensor is not None else f.keys()
    computed = {name: tensor_stats(f, name) for name in names} if stats else {}
    meta = f.metadata
    header = f.header
    if as_json:
        document: Dict[str, Any] = {
            "file": f.path,
            "version": list(header.version),
            "model": {"name": meta.name, "inputs": list(meta.inputs), "outputs": list(meta.outputs)},
            "provenance": {"source_format": meta.provenance.source_format,
                           "source_version": meta.provenance.source_version,
                           "converter_version": meta.provenance.converter_version},
            "layers": [] if tensor is not None else [
                {"name": layer.name, "kind": layer.kind, "bn_mode": layer.bn_mode, "groups": layer.groups,
                 "epsilon": layer.epsilon, "inbound": list(layer.inbound),
                 "output_shape": None if layer.output_shape is None else list(layer.output_shape),
                 "attributes": layer.attributes, "tensors": layer.tensors} for layer in f.layers],
            "tensors": [],
        }
        for name in names:
            info = f.tensor_info(name)
            entry: Dict[str, Any] = {"name": name, "dtype": info.dtype, "shape": list(info.shape),
                                     "offset": info.offset, "length": info.length, "crc32": info.crc32_hex}
            if stats:
                entry["stats"] = _stats_dict(computed[name])
            document["tensors"].append(entry)
        print(json.dumps(document, indent=1, ensure_ascii=False))
        return

    data_bytes = header.data_length
    print(f"{f.path}: .bnm {header.major}.{header.minor}, model '{meta.name}', {len(f.layers)} layers, "
          f"{len(f)} tensors, {data_bytes} bytes of tensor data")
    p = meta.provenance
    print(f"source: {p.source_format} {p.source_version}".rstrip() + f"; converter {p.converter_version}")
    print(f"inputs: {', '.join(meta.inputs)}; outputs: {', '.join(meta.outputs)}")
    if tensor is None:
        print()
        print("layers:")
        width = max((len(layer.name) for layer in f.layers), default=4)
        for layer in f.layers:
            kind = layer.kind + (f" ({layer.bn_mode})" if layer.bn_mode else "")
            if layer.groups not in (None, 1):
                kind += f" (groups {layer.groups})"
            shape = "?" if layer.output_shape is None else _json_inline(list(layer.output_shape))
            inbound = ", ".join(layer.inbound) if layer.inbound else "-"
            print(f"  {layer.name:<{width}}  {kind:<28} <- {inbound}  -> {shape}")
            attributes = _attributes_text(layer.attributes)
            if attributes:
                print(f"  {'':<{width}}    {attributes}")
            for role, name in layer.tensors.items():
                print(f"  {'':<{width}}    {role}: {name}")
    print()
    print("tensors:")
    rows = [["name", "dtype", "shape", "offset", "length", "crc32"]]
    if stats:
        rows[0] += ["min", "max", "mean", "std", "nan"]
    for name in names:
        info = f.tensor_info(name)
        row = [name, info.dtype, _json_inline(list(info.shape)), str(info.offset), str(info.length), info.crc32_hex]
        if stats:
            s = computed[name]
            row += [_format_number(s.min), _format_number(s.max), _format_number(s.mean), _format_number(s.std),
                    str(s.nan_count)]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if tensor is not None:
        info = f.tensor_info(tensor)
        values = f.get_tensor(tensor)
        if info.dtype == "bf16":
            values = bfloat16_to_float32(values) if values.size <= 1_000_000 else values
        print()
        print(f"values ({info.dtype}{', as float32' if info.dtype == 'bf16' and values.dtype == np.float32 else ''}):")
        print(np.array2string(values, threshold=200, edgeitems=3, max_line_width=100))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``python -m bnm`` and the ``bnm`` script."""
    parser = _Parser(prog="bnm", description="Inspect bnconvert .bnm model files.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    dump = commands.add_parser("dump", help="print the layers and tensors of a .bnm file",
                               description="Print the layers and tensors of a .bnm file.")
    dump.add_argument("file", metavar="FILE")
    dump.add_argument("--tensor", metavar="NAME", help="only this tensor, with its values")
    dump.add_argument("--stats", action="store_true", help="min/max/mean/std and NaN count per tensor")
    dump.add_argument("--verify", action="store_true", help="also check every tensor's CRC-32 and the padding")
    dump.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("a command is required (dump)")
    try:
        with _reader.open(args.file, verify=args.verify) as f:
            _dump(f, args.tensor, args.stats, args.json)
    except BNMError as error:
        sys.stdout.flush()
        print(f"bnm: error: {error.message} [{error.code}]", file=sys.stderr)
        return EXIT_UNUSABLE
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
