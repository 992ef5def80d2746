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
/// One pass over the weights: the writer streams each tensor from the Keras file into a
/// temporary `.bnm` while the value statistics validation needs (NaN/Inf, negative variances…)
/// are gathered from the same bytes; the model is then validated from those statistics and
/// the file is put in place only if no error was found (or `force`). A model too broken to
/// lay out as a `.bnm` at all is validated by reading instead, so its findings still come out.
public enum KerasConverter {
    public static func convert(input: String, output: String, options: KerasImportOptions = KerasImportOptions(),
                               force: Bool = false) throws -> KerasConversion {
        try convert(KerasImporter.read(path: input, options: options), input: input, output: output, force: force)
    }

    /// The same job for a model already read from the Keras file at `input` (its weights are
    /// still read from there, once, as they are written).
    public static func convert(_ imported: KerasImport, input: String, output: String, force: Bool = false) throws -> KerasConversion {
        var values = ValueScan()
        var prepared: BNMWriter.PendingFile?
        var failure: BNMError?
        do throws(BNMError) {
            prepared = try BNMWriter.prepare(imported.model, to: output) { layer, role, bytes in
                values.add(bytes, role: role, layer: layer)
            }
        } catch {
            failure = error
        }
        if let failure {
            // A weight that could not be read is the input's fault: report the input's error.
            if case .tensorSourceFailed(_, _, let underlying) = failure { throw underlying }
            guard case .invalidModel = failure else { throw failure }
            let findings = KerasValidation.validate(imported, path: input)
            guard !force, findings.contains(where: { $0.severity == .error }) else {
                do throws(BNMError) {
                    try BNMWriter.write(imported.model, to: output)
                } catch {
                    // The model itself has no native form: the input's fault, not the output's.
                    if case .invalidModel(_, _, let modelError) = error { throw KerasError.defective(file: input, detail: "\(modelError)") }
                    throw error
                }
                return KerasConversion(imported: imported, findings: findings, written: true)
            }
            return KerasConversion(imported: imported, findings: findings, written: false)
        }
        let findings = KerasValidation.validate(imported, path: input, values: values)
        guard force || !findings.contains(where: { $0.severity == .error }) else {
            return KerasConversion(imported: imported, findings: findings, written: false)
        }
        try prepared?.commit()
        return KerasConversion(imported: imported, findings: findings, written: true)
    }
}
