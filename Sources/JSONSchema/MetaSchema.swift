// The draft 2020-12 meta-schema, so that `"$ref": "https://json-schema.org/draft/2020-12/schema"`
// (validating schemas as data) works without any network access.

enum MetaSchema {
    static let uri = "https://json-schema.org/draft/2020-12/schema"

    /// This project's own single-document rendering of the draft 2020-12 meta-schema: the same
    /// constraints as the official dialect (core, applicator, unevaluated, validation, meta-data,
    /// format-annotation and content vocabularies, plus the shapes it still checks for the old
    /// `definitions`, `dependencies`, `$recursiveAnchor` and `$recursiveRef`), with every
    /// subschema position extensible through `$dynamicRef: "#meta"` as in the original. The
    /// separate `meta/*` vocabulary documents are not provided.
    static let text = #"""
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://json-schema.org/draft/2020-12/schema",
        "$dynamicAnchor": "meta",
        "type": ["object", "boolean"],
        "properties": {
            "$id": { "$ref": "#/$defs/uriReference", "pattern": "^[^#]*#?$" },
            "$schema": { "$ref": "#/$defs/uri" },
            "$ref": { "$ref": "#/$defs/uriReference" },
            "$anchor": { "$ref": "#/$defs/anchorName" },
            "$dynamicRef": { "$ref": "#/$defs/uriReference" },
            "$dynamicAnchor": { "$ref": "#/$defs/anchorName" },
            "$vocabulary": {
                "type": "object",
                "propertyNames": { "$ref": "#/$defs/uri" },
                "additionalProperties": { "type": "boolean" }
            },
            "$comment": { "type": "string" },
            "$defs": { "$ref": "#/$defs/schemaMap" },

            "prefixItems": { "$ref": "#/$defs/schemaList" },
            "items": { "$dynamicRef": "#meta" },
            "contains": { "$dynamicRef": "#meta" },
            "additionalProperties": { "$dynamicRef": "#meta" },
            "properties": { "$ref": "#/$defs/schemaMap" },
            "patternProperties": { "$ref": "#/$defs/schemaMap", "propertyNames": { "format": "regex" } },
            "dependentSchemas": { "$ref": "#/$defs/schemaMap" },
            "propertyNames": { "$dynamicRef": "#meta" },
            "if": { "$dynamicRef": "#meta" },
            "then": { "$dynamicRef": "#meta" },
            "else": { "$dynamicRef": "#meta" },
            "allOf": { "$ref": "#/$defs/schemaList" },
            "anyOf": { "$ref": "#/$defs/schemaList" },
            "oneOf": { "$ref": "#/$defs/schemaList" },
            "not": { "$dynamicRef": "#meta" },
            "unevaluatedItems": { "$dynamicRef": "#meta" },
            "unevaluatedProperties": { "$dynamicRef": "#meta" },

            "type": {
                "anyOf": [
                    { "$ref": "#/$defs/typeName" },
                    { "type": "array", "items": { "$ref": "#/$defs/typeName" }, "minItems": 1, "uniqueItems": true }
                ]
            },
            "const": true,
            "enum": { "type": "array" },
            "multipleOf": { "type": "number", "exclusiveMinimum": 0 },
            "maximum": { "type": "number" },
            "exclusiveMaximum": { "type": "number" },
            "minimum": { "type": "number" },
            "exclusiveMinimum": { "type": "number" },
            "maxLength": { "$ref": "#/$defs/count" },
            "minLength": { "$ref": "#/$defs/count" },
            "pattern": { "type": "string", "format": "regex" },
            "maxItems": { "$ref": "#/$defs/count" },
            "minItems": { "$ref": "#/$defs/count" },
            "uniqueItems": { "type": "boolean" },
            "maxContains": { "$ref": "#/$defs/count" },
            "minContains": { "$ref": "#/$defs/count" },
            "maxProperties": { "$ref": "#/$defs/count" },
            "minProperties": { "$ref": "#/$defs/count" },
            "required": { "$ref": "#/$defs/uniqueNames" },
            "dependentRequired": { "type": "object", "additionalProperties": { "$ref": "#/$defs/uniqueNames" } },

            "title": { "type": "string" },
            "description": { "type": "string" },
            "default": true,
            "deprecated": { "type": "boolean" },
            "readOnly": { "type": "boolean" },
            "writeOnly": { "type": "boolean" },
            "examples": { "type": "array" },
            "format": { "type": "string" },
            "contentEncoding": { "type": "string" },
            "contentMediaType": { "type": "string" },
            "contentSchema": { "$dynamicRef": "#meta" },

            "definitions": { "$ref": "#/$defs/schemaMap" },
            "dependencies": {
                "type": "object",
                "additionalProperties": { "anyOf": [{ "$dynamicRef": "#meta" }, { "$ref": "#/$defs/uniqueNames" }] }
            },
            "$recursiveAnchor": { "$ref": "#/$defs/anchorName" },
            "$recursiveRef": { "$ref": "#/$defs/uriReference" }
        },
        "$defs": {
            "schemaMap": { "type": "object", "additionalProperties": { "$dynamicRef": "#meta" } },
            "schemaList": { "type": "array", "minItems": 1, "items": { "$dynamicRef": "#meta" } },
            "typeName": { "enum": ["array", "boolean", "integer", "null", "number", "object", "string"] },
            "count": { "type": "integer", "minimum": 0 },
            "uniqueNames": { "type": "array", "items": { "type": "string" }, "uniqueItems": true },
            "anchorName": { "type": "string", "pattern": "^[A-Za-z_][-A-Za-z0-9._]*$" },
            "uri": { "type": "string", "format": "uri" },
            "uriReference": { "type": "string", "format": "uri-reference" }
        }
    }
    """#
}
