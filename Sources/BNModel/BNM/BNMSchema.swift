import JSONSchema

/// The normative JSON Schema of the `.bnm` v1 manifest (`schemas/bnm.schema.json`), embedded so
/// that the library can check manifests against it without finding files at run time.
///
/// Opening a file already enforces every rule of the schema through the typed decoder, with a
/// precise JSON Pointer for each problem; `BNMFile.validate()` additionally runs this schema, so
/// the schema and the decoder cannot silently drift apart.
public enum BNMSchema {
    /// The compiled schema, or the reason it does not compile (which a test rules out).
    public static let compiled: Result<JSONSchema, JSONSchemaError> = compile()

    private static func compile() -> Result<JSONSchema, JSONSchemaError> {
        do throws(JSONSchemaError) {
            return .success(try JSONSchema(bytes: Array(text.utf8)))
        } catch {
            return .failure(error)
        }
    }

    /// Every way `manifest` fails the schema (empty when it conforms).
    public static func validate(_ manifest: JSONValue) throws(JSONSchemaError) -> [ValidationError] {
        try compiled.get().validate(manifest)
    }
}
