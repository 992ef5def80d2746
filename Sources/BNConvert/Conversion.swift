import BNModel
import KerasHDF5

/// How to convert: what reading a Keras file needs, and whether to write a model validation
/// finds errors in.
public struct ConversionOptions: Sendable {
    /// For a Keras input: its architecture (required for weights-only files), where that came
    /// from, and an input shape overriding the architecture's. Must be left empty for a `.bnm`
    /// input, which carries its own.
    public var keras: KerasImportOptions
    /// Write the `.bnm` even when validation finds errors in the model.
    public var force: Bool
    /// Fold every batch norm that can be folded exactly into its neighbour's weights
    /// (`BatchNormFolding`) before writing a `.bnm`; the others are kept, each with its reason.
    public var foldBatchNorms: Bool

    public init(keras: KerasImportOptions = KerasImportOptions(), force: Bool = false, foldBatchNorms: Bool = false) {
        self.keras = keras
        self.force = force
        self.foldBatchNorms = foldBatchNorms
    }
}

/// What a conversion did.
public struct Conversion: Sendable {
    /// What was read: the model, its format, warnings, and for a Keras file the import.
    public var source: SourceModel
    /// The file written (or not written, see ``written``) and its format.
    public var output: String
    public var format: ModelFormat
    /// What validation found in the model (see ``ModelWriter/WriteResult/findings``).
    public var findings: [Finding]
    /// False when validation found errors and ``ConversionOptions/force`` was not set:
    /// nothing was written.
    public var written: Bool
    /// With ``ConversionOptions/foldBatchNorms``: what happened to each batch norm.
    public var folds: [BatchNormFolding.Outcome] = []
}

/// One conversion, from an input file to an output file: Keras (`.h5`, `.weights.h5`,
/// `.keras`) → `.bnm`, or a `.bnm` that came from Keras → the Keras layout it came from.
///
/// Making a job decides everything that can be decided before reading the model, so a caller
/// can refuse a wrong command line early: what the input is (by its bytes), what the output
/// is to be (by its name), and that ``FormatTable`` can take one to the other. ``read(options:)``
/// and ``write(_:options:)`` are the two halves of ``run(options:)``, for a caller that reports
/// between them.
public struct ConversionJob: Sendable {
    public let input: String
    public let output: String
    /// The input's format, from its bytes.
    public let source: ModelFormat
    /// The output's format, from its name.
    public let destination: ModelFormat
    public let reader: ModelReader
    public let writer: ModelWriter

    /// Throws the input's ``FormatError`` from ``ModelFormat/detect(path:accepting:)`` (empty,
    /// unrecognised, unreadable), or ``FormatError/unsupportedConversion(input:from:output:)``
    /// when the output's name asks for no format a writer makes from the input's.
    public init(from input: String, to output: String) throws(FormatError) {
        let source = try ModelFormat.detect(path: input, accepting: FormatTable.readable)
        guard let destination = ModelFormat(fileName: output), let writer = FormatTable.writers[destination],
              writer.sources.contains(source), let reader = FormatTable.readers[source] else {
            throw .unsupportedConversion(input: input, from: source, output: output)
        }
        self.input = input
        self.output = output
        self.source = source
        self.destination = destination
        self.reader = reader
        self.writer = writer
    }

    /// Reads the input into the IR (see ``ModelReader/read(_:options:)``).
    public func read(options: ConversionOptions = ConversionOptions()) throws -> SourceModel {
        try reader.read(input, options: options)
    }

    /// Writes a model read by ``read(options:)`` to the output.
    public func write(_ model: SourceModel, options: ConversionOptions = ConversionOptions()) throws -> Conversion {
        let result = try writer.write(model, to: output, options: options)
        return Conversion(source: model, output: output, format: destination, findings: result.findings, written: result.written,
                          folds: model.folds)
    }

    /// Reads the input and writes the output.
    public func run(options: ConversionOptions = ConversionOptions()) throws -> Conversion {
        try write(read(options: options), options: options)
    }
}

/// Converts the file at `input` to `output`: a Keras file (any layout, recognised by its
/// bytes) to a validated `.bnm`, or a `.bnm` converted from Keras back to that Keras layout.
/// The output's format follows from its name (`.bnm`, `.h5`, `.weights.h5`); it is replaced
/// atomically, and not written at all when validation finds errors (unless `options.force`).
///
/// Throws ``FormatError`` for an input no reader takes or an output no writer makes from it,
/// and the readers' and writers' own errors (``KerasError``, ``BNMError``, ``HDF5Error``).
public func convert(from input: String, to output: String, options: ConversionOptions = ConversionOptions()) throws -> Conversion {
    try ConversionJob(from: input, to: output).run(options: options)
}
