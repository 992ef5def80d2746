"""A small JSON Schema (draft 2020-12) evaluator for the keywords ``bnm.schema.json`` uses.

The schema shipped with the package is a copy of the repository's normative
``schemas/bnm.schema.json`` (a test checks they are identical). Only the keywords that schema
uses are implemented; any other keyword is refused when the schema is loaded, so the copy can
never be evaluated partly.

``strict=False`` (files of a newer minor version) ignores ``additionalProperties: false``:
members the 1.0 schema does not define are ignored, as docs/FORMAT.md rule 9 says.
"""

from __future__ import annotations

import json
import math
import re
from importlib import resources
from typing import Any, Dict, List, Optional

__all__ = ["SchemaProblem", "ManifestSchema", "load_schema", "pointer_token"]

_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description"}
_ASSERTIONS = {
    "type", "const", "enum", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
    "minimum", "maximum", "exclusiveMinimum", "minLength", "pattern", "uniqueItems", "contains", "minContains",
    "maxContains", "$ref", "allOf", "if", "then", "oneOf", "$defs",
}


class SchemaProblem(Exception):
    """The instance breaks the schema at ``pointer`` (a JSON Pointer)."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer or '/'}: {message}")
        self.pointer = pointer
        self.message = message


def pointer_token(token: str) -> str:
    """Escapes one JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_type(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        # The lexical rule of the format: an integer is an integer token, so 64.0 is not one.
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    raise ValueError(f"unknown type {name!r} in schema")


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class ManifestSchema:
    """A compiled schema; :meth:`check` raises :class:`SchemaProblem` at the first violation."""

    def __init__(self, schema: Dict[str, Any]) -> None:
        self.root = schema
        self._patterns: Dict[str, "re.Pattern[str]"] = {}
        self._audit(schema)

    def _audit(self, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key not in _ANNOTATIONS and key not in _ASSERTIONS:
                    raise ValueError(f"bnm.schema.json uses keyword {key!r}, which this evaluator does not implement")
                if key in ("properties", "$defs"):
                    for sub in value.values():
                        self._audit(sub)
                elif key in ("allOf", "oneOf"):
                    for sub in value:
                        self._audit(sub)
                elif key in ("items", "contains", "additionalProperties", "if", "then") and isinstance(value, dict):
                    self._audit(value)
                elif key == "pattern":
                    self._patterns[value] = re.compile(value)
                elif key == "$ref" and not value.startswith("#/$defs/"):
                    raise ValueError(f"unsupported $ref {value!r}")

    def check(self, instance: Any, strict: bool = True) -> None:
        """Raises :class:`SchemaProblem` for the first violation found (depth first)."""
        problem = self._first(self.root, instance, "", strict)
        if problem is not None:
            raise problem

    def valid(self, instance: Any, strict: bool = True) -> bool:
        return self._first(self.root, instance, "", strict) is None

    # The evaluator returns the first problem (or None) rather than raising, so that oneOf and
    # if/then can try subschemas cheaply.
    def _first(self, schema: Any, value: Any, pointer: str, strict: bool) -> Optional[SchemaProblem]:
        if schema is True:
            return None
        if schema is False:
            return SchemaProblem(pointer, "is not allowed")
        if "$ref" in schema:
            target = self.root["$defs"][schema["$ref"][len("#/$defs/"):]]
            problem = self._first(target, value, pointer, strict)
            if problem is not None:
                return problem
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_is_type(value, name) for name in names):
                return SchemaProblem(pointer, f"must be {' or '.join(names)}, found {_type_name(value)}")
        if "const" in schema and not _equal(value, schema["const"]):
            return SchemaProblem(pointer, f"must be {json.dumps(schema['const'])}, found {json.dumps(value)[:80]}")
        if "enum" in schema and not any(_equal(value, option) for option in schema["enum"]):
            options = ", ".join(json.dumps(option) for option in schema["enum"])
            return SchemaProblem(pointer, f"must be one of {options}, found {json.dumps(value)[:80]}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                return SchemaProblem(pointer, f"is {value}, less than the minimum {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                return SchemaProblem(pointer, f"is {value}, more than the maximum {schema['maximum']}")
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                return SchemaProblem(pointer, f"is {value}, not more than {schema['exclusiveMinimum']}")
            if isinstance(value, float) and not math.isfinite(value):
                return SchemaProblem(pointer, "must be finite")
        if isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                return SchemaProblem(pointer, f"must have at least {schema['minLength']} character(s)")
            if "pattern" in schema and not self._patterns[schema["pattern"]].search(value):
                return SchemaProblem(pointer, f"must match {schema['pattern']}, found {json.dumps(value)[:80]}")
        if isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                return SchemaProblem(pointer, f"must have at least {schema['minItems']} elements, found {len(value)}")
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                return SchemaProblem(pointer, f"must have at most {schema['maxItems']} elements, found {len(value)}")
            # items before uniqueItems: the items are then known to be small (in this schema,
            # enum strings), so comparing them cannot recurse deeply.
            if "items" in schema:
                for i, item in enumerate(value):
                    problem = self._first(schema["items"], item, f"{pointer}/{i}", strict)
                    if problem is not None:
                        return problem
            if "contains" in schema:
                # minContains defaults to 1; maxContains to no limit (both ignored without contains).
                matches = sum(1 for i, item in enumerate(value)
                              if self._first(schema["contains"], item, f"{pointer}/{i}", strict) is None)
                least, most = schema.get("minContains", 1), schema.get("maxContains")
                if matches < least:
                    return SchemaProblem(pointer, f"must contain at least {least} element(s) matching "
                                         f"{json.dumps(schema['contains'])}, found {matches}")
                if most is not None and matches > most:
                    return SchemaProblem(pointer, f"must contain at most {most} element(s) matching "
                                         f"{json.dumps(schema['contains'])}, found {matches}")
            if schema.get("uniqueItems"):
                for i, item in enumerate(value):
                    if any(_equal(item, earlier) for earlier in value[:i]):
                        return SchemaProblem(f"{pointer}/{i}", "repeats an earlier element (elements must be unique)")
        if isinstance(value, dict):
            for key in schema.get("required", []):
                if key not in value:
                    return SchemaProblem(f"{pointer}/{pointer_token(key)}", "is required but missing")
            properties = schema.get("properties", {})
            for key, item in value.items():
                where = f"{pointer}/{pointer_token(key)}"
                if key in properties:
                    problem = self._first(properties[key], item, where, strict)
                elif "additionalProperties" in schema:
                    extra = schema["additionalProperties"]
                    if extra is False and not strict:
                        problem = None
                    elif extra is False:
                        problem = SchemaProblem(where, "is not a field this version of the format defines")
                    else:
                        problem = self._first(extra, item, where, strict)
                else:
                    problem = None
                if problem is not None:
                    return problem
        for sub in schema.get("allOf", []):
            problem = self._first(sub, value, pointer, strict)
            if problem is not None:
                return problem
        if "if" in schema:
            if self._first(schema["if"], value, pointer, strict) is None:
                if "then" in schema:
                    problem = self._first(schema["then"], value, pointer, strict)
                    if problem is not None:
                        return problem
        if "oneOf" in schema:
            problems: List[Optional[SchemaProblem]] = [self._first(sub, value, pointer, strict) for sub in schema["oneOf"]]
            matches = sum(1 for problem in problems if problem is None)
            if matches == 0:
                # Report the branch that got furthest: the one whose problem is deepest / not at
                # the selecting "name" member.
                deepest = max(problems, key=lambda p: (p is not None and not p.pointer.endswith("/name"),
                                                       len(p.pointer) if p else 0))
                if deepest is not None and not deepest.pointer.endswith("/name"):
                    return deepest
                return SchemaProblem(pointer, "matches none of the allowed forms")
            if matches > 1:
                return SchemaProblem(pointer, "matches more than one of the allowed forms")
        return None


_CACHE: Dict[str, ManifestSchema] = {}


def load_schema() -> ManifestSchema:
    """The schema shipped with the package, compiled once."""
    if "bnm" not in _CACHE:
        text = resources.files("bnm").joinpath("bnm.schema.json").read_text(encoding="utf-8")
        _CACHE["bnm"] = ManifestSchema(json.loads(text))
    return _CACHE["bnm"]
