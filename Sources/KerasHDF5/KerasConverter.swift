import BNModel

/// What a conversion did: the model read, what validation found, and whether the file was written.
public struct KerasConversion: Sendable {
    public var imported: KerasImport
    public var findings: [Finding]
    /// False when validation found errors and the conversion was not forced.
    public var written: Bool
}

/// Keras file → validated `.bnm`, the whole job of `bnconvert in.h5 out.bnm`.
///
/// Validation runs on the imported model before anything is written, reading each weight
/// through its lazy source; the writer then streams the weights again. Validating the written
/// file instead would read the source once, but would map the whole output into memory (peak
/// RSS ≈ the model's size, measured): streaming twice keeps memory at one tensor.
public enum KerasConverter {
    public static func convert(input: String, output: String, options: KerasImportOptions = KerasImportOptions(),
                               force: Bool = false) throws -> KerasConversion {
        let imported = try KerasImporter.read(path: input, options: options)
        let findings = KerasValidation.validate(imported, path: input)
        guard force || !findings.contains(where: { $0.severity == .error }) else {
            return KerasConversion(imported: imported, findings: findings, written: false)
        }
        try BNMWriter.write(imported.model, to: output)
        return KerasConversion(imported: imported, findings: findings, written: true)
    }
}
