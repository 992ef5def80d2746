import BNModel
import KerasHDF5

/// The readers and writers bnconvert has, keyed by format (pandoc's table of readers and
/// writers): every reader produces the one IR, every writer takes it. Adding a format means
/// adding its entries here; ``ConversionJob`` and the command line only look formats up.
public enum FormatTable {
    /// The formats that can be read, and how.
    public static let readers: [ModelFormat: ModelReader] = [
        .bnm: .bnm,
        .kerasHDF5: .keras(.kerasHDF5),
        .kerasArchive: .keras(.kerasArchive),
    ]

    /// The formats that can be written, and from which formats' models.
    public static let writers: [ModelFormat: ModelWriter] = [
        .bnm: .bnm,
        .kerasHDF5: .kerasHDF5,
        .kerasArchive: .kerasArchive,
    ]

    /// The formats with a reader, in ``ModelFormat/allCases`` order.
    public static var readable: [ModelFormat] { ModelFormat.allCases.filter { readers[$0] != nil } }
}

/// What reading a file gives: the model in the IR, and what the user should know about it.
public struct SourceModel: Sendable {
    /// The file read.
    public var path: String
    /// Its format, from its bytes.
    public var format: ModelFormat
    public var model: Model
    /// What the user should know: layers carried over unmapped, assumptions such as the data
    /// format, reduced-precision policies.
    public var warnings: [String]
    /// For a Keras file, the import itself (its layout and typed ``KerasProvenance``); nil for a `.bnm`.
    public var kerasImport: KerasImport?
    /// With ``ConversionOptions/foldBatchNorms``: what happened to each batch norm (``model``
    /// is then the folded model).
    public var folds: [BatchNormFolding.Outcome] = []
}

/// Reads one format into the IR.
public struct ModelReader: Sendable {
    /// The format this reader reads.
    public let format: ModelFormat
    /// Whether the reader uses ``ConversionOptions/keras``'s architecture and input shape
    /// (Keras files do; a `.bnm` carries its own).
    public let takesArchitecture: Bool
    private let body: @Sendable (_ path: String, _ options: ConversionOptions) throws -> SourceModel

    /// Reads the file at `path`, which must be of ``format`` (``ModelFormat/detect(path:accepting:)``).
    /// Throws ``FormatError/optionsNotApplicable(input:format:)`` when `options` give an
    /// architecture or an input shape a reader that does not take them would ignore; otherwise
    /// the format's own errors (``BNMError``, ``KerasError``).
    public func read(_ path: String, options: ConversionOptions = ConversionOptions()) throws -> SourceModel {
        guard takesArchitecture || (options.keras.architectureJSON == nil && options.keras.inputShape == nil) else {
            throw FormatError.optionsNotApplicable(input: path, format: format)
        }
        return try body(path, options)
    }

    /// A `.bnm`, every tensor's checksum verified (the whole model is about to be used).
    static let bnm = ModelReader(format: .bnm, takesArchitecture: false) { path, _ in
        SourceModel(path: path, format: .bnm, model: try BNMFile(path: path).model(verifyChecksums: true), warnings: [])
    }

    /// A Keras file of any layout; its weights stay in the file until written.
    static func keras(_ format: ModelFormat) -> ModelReader {
        ModelReader(format: format, takesArchitecture: true) { path, options in
            var imported = try KerasImporter.read(path: path, options: options.keras)
            var folds: [BatchNormFolding.Outcome] = []
            // Folding is a pass over the model read, so everything after it (validation, the
            // written file, what is reported) sees the model that is written.
            if options.foldBatchNorms { (imported.model, folds) = try BatchNormFolding.fold(imported.model) }
            return SourceModel(path: path, format: format, model: imported.model, warnings: imported.warnings, kerasImport: imported,
                               folds: folds)
        }
    }
}

/// Writes the IR in one format.
public struct ModelWriter: Sendable {
    /// The format this writer writes.
    public let format: ModelFormat
    /// The formats whose models this writer takes. A model must carry what the writer needs:
    /// a Keras file is rebuilt from the Keras provenance a `.bnm` converted from Keras keeps.
    public let sources: Set<ModelFormat>
    private let body: @Sendable (_ source: SourceModel, _ path: String, _ options: ConversionOptions) throws -> WriteResult

    /// What writing did: what validation found in the model, and whether the file was written.
    public struct WriteResult: Sendable {
        /// Findings about the model (a conversion to `.bnm` validates it first; the way back
        /// writes what a checksummed `.bnm` holds and finds nothing).
        public var findings: [Finding]
        /// False when validation found errors and ``ConversionOptions/force`` was not set:
        /// nothing was written.
        public var written: Bool
    }

    /// Writes `source`'s model to `path` (replaced atomically). Throws
    /// ``FormatError/unsupportedConversion(input:from:output:)`` for a model from a format not in
    /// ``sources``; otherwise the writer's own errors.
    public func write(_ source: SourceModel, to path: String, options: ConversionOptions = ConversionOptions()) throws -> WriteResult {
        guard sources.contains(source.format) else {
            throw FormatError.unsupportedConversion(input: source.path, from: source.format, output: path)
        }
        return try body(source, path, options)
    }

    /// `.bnm` from a Keras file: streamed into a temporary file while the values are scanned,
    /// validated, and put in place only when validation finds no error (or `force`).
    static let bnm = ModelWriter(format: .bnm, sources: [.kerasHDF5, .kerasArchive]) { source, path, options in
        guard let imported = source.kerasImport else {
            throw FormatError.unsupportedConversion(input: source.path, from: source.format, output: path)
        }
        let conversion = try KerasConverter.convert(imported, input: source.path, output: path, force: options.force)
        return WriteResult(findings: conversion.findings, written: conversion.written)
    }

    /// Keras HDF5 from a `.bnm` converted from Keras: the source file's own layout, rebuilt.
    static let kerasHDF5 = ModelWriter(format: .kerasHDF5, sources: [.bnm]) { source, path, _ in
        try KerasExporter.write(source.model, to: path, source: source.path)
        return WriteResult(findings: [], written: true)
    }

    /// A Keras 3 `.keras` archive from a `.bnm` converted from the Keras 3 weights layout.
    static let kerasArchive = ModelWriter(format: .kerasArchive, sources: [.bnm]) { source, path, _ in
        try KerasExporter.writeArchive(source.model, to: path, source: source.path)
        return WriteResult(findings: [], written: true)
    }
}
