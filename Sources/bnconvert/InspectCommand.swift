import ArgumentParser
import BNConvert
import Foundation

/// `bnconvert inspect FILE`: what is in a `.bnm` (from its manifest alone, no tensor data
/// read) or what a Keras file will map to.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the layers, BN modes, tensor shapes, dtypes and sizes of a .bnm or Keras .h5 file."
    )

    @Argument(help: "A .bnm or Keras .h5 file.")
    var file: String

    @Flag(name: .long, help: "Print JSON: a .bnm's manifest, or a .h5's structure (schemas/keras-h5.schema.json). An unusable file is an error object: {\"error\": {\"code\", \"file\", \"message\"}}.")
    var json = false

    @Flag(name: .long, help: "Print the layer graph in Graphviz DOT (kinds, BN modes, shapes; edges from inbound layers): bnconvert inspect m.bnm --dot | dot -Tsvg > m.svg")
    var dot = false

    @Option(name: .long, help: "Architecture JSON for a weights-only Keras file.")
    var config: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard !(json && dot) else { throw ValidationError("--json and --dot are two output formats; pass one of them") }
    }

    func run() throws {
        common.apply()
        let files = CommandFiles(input: file, others: config.map { [$0] } ?? [])
        var architecture: String?
        let format = try reportingErrors(files, json: json) {
            try Preflight.readable(file)
            architecture = try config.map(Preflight.configText)
            return try ModelFormat.detect(path: file, accepting: FormatTable.readable)
        }
        if format == .bnm { Console.containBusErrors(reading: file) } else { try CrashIsolation.isolate(.reading(file), json: json) }
        try reportingErrors(files, json: json) {
            if format == .bnm {
                let bnm = try BNMFile(path: file)
                if json {
                    print(bnm.manifestText)
                } else if dot {
                    let manifest = bnm.manifest
                    print(GraphvizDOT.graph(name: manifest.modelName, outputs: manifest.outputs, nodes: manifest.layers.map {
                        GraphvizDOT.Node(name: $0.name, op: $0.op, inbound: $0.inbound, outputShape: $0.outputShape)
                    }))
                } else {
                    printManifest(bnm.manifest)
                }
            } else if json {
                print(try HDF5JSONView.describe(path: file).serialized(pretty: true))
            } else {
                let keras = try KerasFile(path: file)
                if architecture == nil && keras.storedArchitecture == nil {
                    // Weights only: show what is stored; mapping it (or drawing it) needs the architecture.
                    if dot { throw KerasError.architectureRequired(file: file) }
                    try printWeights(keras)
                    return
                }
                let imported = try KerasImporter.read(
                    path: file, options: KerasImportOptions(architectureJSON: architecture, architectureSource: config ?? "--config"))
                if dot {
                    let model = imported.model
                    let classNames = imported.kerasProvenance.classNames
                    print(GraphvizDOT.graph(name: model.name, outputs: model.outputs, nodes: model.layers.map {
                        GraphvizDOT.Node(name: $0.name, op: $0.op, inbound: $0.inbound, outputShape: $0.outputShape,
                                         className: classNames[$0.name])
                    }))
                    imported.warnings.forEach(Console.warning)
                } else {
                    printKeras(imported)
                }
            }
        }
    }

    private func printManifest(_ manifest: BNMManifest) {
        print("model \(manifest.modelName)  (from \(manifest.provenance.sourceFormat) \(manifest.provenance.sourceVersion))")
        print("inputs: \(manifest.inputs.joined(separator: ", "))  outputs: \(manifest.outputs.joined(separator: ", "))")
        let folds = BatchNormFolding.recordedFolds(in: manifest.provenance)
        if !folds.isEmpty {
            print("folded batch norms (--fold-bn): \(folds.map { "\($0.batchNorm) → \($0.into)" }.joined(separator: ", "))")
        }
        var total = 0
        // One lookup table: a manifest may list tens of thousands of tensors.
        let entries = Dictionary(manifest.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for layer in manifest.layers {
            print(layerLine(name: layer.name, op: layer.op, inbound: layer.inbound, outputShape: layer.outputShape))
            for reference in layer.tensors {
                guard let entry = entries[reference.tensor] else { continue }
                total += entry.length
                print("    \(reference.role.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \(entry.dtype.rawValue) \(entry.shape)  \(humanBytes(entry.length))")
            }
        }
        print("\(manifest.layers.count) layers, \(manifest.tensors.count) tensors, \(humanBytes(total)) of tensor data")
    }

    private func printWeights(_ keras: KerasFile) throws {
        print("Keras weights file \(file)  (\(keras.kind.rawValue), Keras \(keras.kerasVersion.isEmpty ? "?" : keras.kerasVersion))")
        for (layer, weights) in try keras.weightListing() {
            print("  \(layer)")
            for weight in weights {
                print("    \(weight.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(weight.type) \(weight.shape)")
            }
        }
        Console.note("no architecture in the file: pass --config model.json (model.to_json()) to see what each layer maps to")
    }

    private func printKeras(_ imported: KerasImport) {
        let model = imported.model
        print("Keras model \(model.name)  (\(imported.kind.rawValue), Keras \(model.provenance.sourceVersion))")
        let classNames = imported.kerasProvenance.classNames
        for layer in model.layers {
            let className = classNames[layer.name] ?? "?"
            print(layerLine(name: layer.name, op: layer.op, inbound: layer.inbound, outputShape: layer.outputShape) + "  ← \(className)")
            for named in layer.tensors {
                print("    \(named.role.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \(named.tensor.dtype.rawValue) \(named.tensor.shape)  \(humanBytes(named.tensor.byteCount))")
            }
        }
        imported.warnings.forEach(Console.warning)
    }
}

/// One line per layer: name, kind (with the BN mode), inbound layers, native output shape.
func layerLine(name: String, op: LayerOp, inbound: [String], outputShape: [Int]?) -> String {
    var kind = op.kind
    if case let .batchNorm(config) = op {
        kind += " [\(config.mode.rawValue), ε=\(config.epsilon)"
        if !config.materialized.isEmpty {
            kind += ", materialised \(config.materialized.map(\.rawValue).sorted().joined(separator: "/"))"
        }
        kind += "]"
    }
    let shape = outputShape.map { "→ \($0)" } ?? "→ ?"
    let from = inbound.isEmpty ? "" : "  ⇐ \(inbound.joined(separator: ", "))"
    return "  \(name): \(kind) \(shape)\(from)"
}
