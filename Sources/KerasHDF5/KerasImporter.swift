import BNModel
import Foundation
import JSONSchema

/// Options for reading a Keras file.
public struct KerasImportOptions: Sendable {
    /// The architecture as `model.to_json()` wrote it; required for weights-only files, and
    /// preferred over the file's own `model_config` when given.
    public var architectureJSON: String?
    /// Where `architectureJSON` came from, for error messages.
    public var architectureSource: String
    /// Per-sample input shape in Keras' own order (e.g. H, W, C), overriding the architecture's.
    public var inputShape: [Int]?

    public init(architectureJSON: String? = nil, architectureSource: String = "--config", inputShape: [Int]? = nil) {
        self.architectureJSON = architectureJSON
        self.architectureSource = architectureSource
        self.inputShape = inputShape
    }
}

/// The result of reading a Keras file: the model in native conventions, and what the user
/// should know about it (layers carried over unmapped, assumptions such as the data format).
public struct KerasImport: Sendable {
    public var model: Model
    public var warnings: [String]
    public var kind: KerasFileKind
    /// What the model keeps of its Keras source, as typed values; `model.provenance.extra`
    /// holds the same, encoded (``KerasProvenance/encoded``).
    public var kerasProvenance: KerasProvenance
}

/// Reads a Keras HDF5 file (any of the three layouts) into the IR. Weights stay in the file
/// (lazy tensors) unless a layout change needs them permuted.
public enum KerasImporter {
    public static func read(path: String, options: KerasImportOptions = KerasImportOptions()) throws -> KerasImport {
        let file = try KerasFile(path: path)
        let architectureText: String
        let architectureSource: String
        if let given = options.architectureJSON {
            (architectureText, architectureSource) = (given, options.architectureSource)
        } else if let stored = file.storedArchitecture {
            (architectureText, architectureSource) = (stored, "\(path): model_config")
        } else {
            throw KerasError.architectureRequired(file: path)
        }
        // The architecture travels in the .bnm manifest (the provenance), which holds at most
        // 64 MiB: a larger one could never be written, so it is refused before parsing (a
        // JSON tree costs several times its text), giving convert and validate one verdict.
        guard architectureText.utf8.count <= BNMHeader.maxManifestLength else {
            throw KerasError.invalidConfig(
                source: architectureSource, field: "architecture",
                detail: "is \(architectureText.utf8.count >> 20) MiB of JSON; a .bnm manifest, which carries it, holds at most \(BNMHeader.maxManifestLength >> 20) MiB")
        }
        let architecture = try KerasArchitecture(json: architectureText, source: architectureSource)
        var importer = GraphBuilder(file: file, architecture: architecture, source: architectureSource,
                                    inputShapeOverride: options.inputShape)
        let layers = try importer.build()
        let keras = KerasProvenance(
            fileKind: file.kind, backend: file.backend, dataFormat: importer.modelDataFormat,
            layerClasses: architecture.layers.map { KerasProvenance.LayerClass(layer: $0.name, className: $0.className) },
            architectureInFile: file.storedArchitecture != nil, weights: importer.records, outputLayouts: importer.outputLayouts,
            // The architecture travels once, as `sourceArchitecture`, when it came from the file.
            skeleton: try file.skeleton(omitArchitecture: options.architectureJSON == nil))
        var model = Model(
            name: architecture.name,
            inputs: architecture.inputs,
            outputs: architecture.outputs,
            layers: layers,
            provenance: Provenance(sourceFormat: file.kind.rawValue, sourceVersion: file.kerasVersion,
                                   sourceArchitecture: architectureText, extra: keras.encoded),
            layoutNotes: importer.notes)
        model.sourceDefects = importer.defects
        return KerasImport(model: model, warnings: importer.warnings, kind: file.kind, kerasProvenance: keras)
    }
}
