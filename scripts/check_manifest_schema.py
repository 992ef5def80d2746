#!/usr/bin/env python3
"""Validates .bnm manifest JSON files against schemas/bnm.schema.json (draft 2020-12).
Usage: check_manifest_schema.py MANIFEST.json...  Exit 0 when all are valid, 1 otherwise."""
import json, pathlib, sys
import jsonschema

schema = json.loads((pathlib.Path(__file__).parent.parent / "schemas" / "bnm.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failed = False
for path in sys.argv[1:]:
    for error in validator.iter_errors(json.loads(pathlib.Path(path).read_text(encoding="utf-8"))):
        failed = True
        print(f"{path}: {error.json_path}: {error.message}")
sys.exit(1 if failed else 0)
