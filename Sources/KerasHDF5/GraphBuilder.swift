import BNModel
import JSONSchema

/// Walks a Keras architecture in model order and builds native layers, tracking for every
/// layer output its native shape and its Keras layout (``KerasLayout``), which is all the
/// mapping of weights needs.
struct GraphBuilder {
    let file: KerasFile
    let architecture: KerasArchitecture
    let source: String
    let inputShapeOverride: [Int]?

    private(set) var warnings: [String] = []
    private(set) var notes: [String] = []
    private(set) var modelDataFormat = "channels_last"

    private var edges: [String: Edge] = [:]
    private var legacyByLayer: [String: [StoredWeight]] = [:]
    private var claimedLegacyOwners: Set<String> = []
    /// How every stored weight became a native tensor, for the reverse conversion.
    private(set) var records: [KerasWeightRecord] = []
    /// The file's defects found while mapping, for `Model.sourceDefects`.
    private(set) var defects: [SourceDefect] = []
    /// Model outputs whose Keras layout differs from the native one (flattened or reshaped maps).
    private(set) var outputLayouts = KerasOutputLayouts()

    init(file: KerasFile, architecture: KerasArchitecture, source: String, inputShapeOverride: [Int]?) {
        self.file = file
        self.architecture = architecture
        self.source = source
        self.inputShapeOverride = inputShapeOverride
    }

    mutating func build() throws -> [Layer] {
        if file.kind != .keras3Weights {
            legacyByLayer = try file.legacyWeights(layerNames: Set(architecture.layers.map(\.name)))
        }
        modelDataFormat = inferDataFormat()
        notes.append("Keras tensors are \(modelDataFormat == "channels_last" ? "NHWC (channels_last)" : "NCHW (channels_first)"); native tensors are NCHW")
        if let mixed = architecture.layers.lazy.compactMap({ spec -> String? in
            let policy = spec.config["dtype"].map { "\($0)" } ?? ""
            return ["mixed_float16", "mixed_bfloat16"].first { policy.contains($0) }
        }).first {
            warnings.append("the model computes in reduced precision (\(mixed) policy) while the reference pass computes in float32: "
                + "Keras' predictions differ from it by that rounding, so verify needs a looser tolerance (e.g. --rtol 3e-2)")
        }
        var layers: [Layer] = []
        for spec in architecture.layers {
            let layer = try map(spec)
            layers.append(layer)
        }
        // An output that is a flattened or reshaped map is in the engine's element order (C, H,
        // W) and shape, not Keras': record how Keras lays it out, so `verify` (and anyone
        // reading the output) can reorder it, and say so.
        for output in architecture.outputs {
            let kerasShape: [Int]
            let order: FlattenOrder?
            switch edges[output]?.layout {
            case let .vector(vectorOrder)?:
                guard let vectorOrder else { continue }
                (kerasShape, order) = (edges[output]?.shape ?? [], vectorOrder)
            case let .reshaped(shape, vectorOrder)?:
                (kerasShape, order) = (shape, vectorOrder)
            case let .segmentedVector(segments)?:
                outputLayouts[output] = .segmented(kerasShape: edges[output]?.shape ?? [], segments: segments)
                warnings.append("output '\(output)' concatenates flattened maps: the engine gives each part in C, H, W order, "
                    + "Keras in its own; verify reorders it, a user of the engine's output must too")
                continue
            default:
                continue
            }
            outputLayouts[output] = .flattened(kerasShape: kerasShape, order: order)
            let kerasOrder = order.map { $0.kerasAxes.map { ["C", "H", "W"][$0] }.joined(separator: ", ") } ?? "C, H, W"
            warnings.append("output '\(output)' is a flattened map: the engine gives it in C, H, W order, shaped "
                + "\(edges[output]?.shape ?? []); Keras gives it in \(kerasOrder) order, shaped \(kerasShape). "
                + "verify reorders it; a user of the engine's output must too")
        }
        let unclaimed = Set(legacyByLayer.keys).subtracting(claimedLegacyOwners)
        for stray in unclaimed.sorted() {
            guard let weights = legacyByLayer[stray], !weights.isEmpty else { continue }
            defects.append(KerasValidation.unexpectedWeightsDefect(layer: stray, weights: weights.map(\.dataset.path)))
        }
        return layers
    }

    /// The data format of the model: that of its spatial layers (they must agree), else
    /// Keras' default channels_last.
    private func inferDataFormat() -> String {
        let formats = architecture.layers.compactMap { $0.config["data_format"]?.stringValue }
        return formats.first ?? "channels_last"
    }

    // MARK: - One layer

    /// Maps one layer with the mapper of its class (see ``KerasMappers``), then checks that it
    /// used every stored weight and computes its output shape.
    private mutating func map(_ spec: KerasLayerSpec) throws -> Layer {
        guard spec.constantArguments.isEmpty else {
            throw KerasError.unsupportedLayer(
                layer: spec.name, className: spec.className,
                detail: "is a tensor operation with the constant argument(s) \(spec.constantArguments.joined(separator: ", ")) (e.g. `x + 3.0`), which the converter cannot carry; use a layer instead")
        }
        let inputs: [Edge] = try spec.inbound.map { name in
            guard let edge = edges[name] else {
                throw KerasError.invalidConfig(source: source, field: "layer '\(spec.name)'.inbound_nodes",
                                               detail: "refers to '\(name)', which is not an earlier layer")
            }
            return edge
        }
        let mapper = KerasMappers.mapper(for: spec.className)
        var context = MappingContext(spec: spec, source: source, inputs: inputs, weights: try storedWeights(for: spec, mapper: mapper),
                                     file: file, architecture: architecture, modelDataFormat: modelDataFormat,
                                     inputShapeOverride: inputShapeOverride)
        let mapped = try mapper.map(&context)
        records += context.records
        warnings += context.warnings
        defects += context.defects
        if !context.weights.isEmpty {
            defects.append(KerasValidation.unexpectedWeightsDefect(layer: spec.name, weights: context.weights.map(\.dataset.path)))
        }
        var layer = Layer(name: spec.name, op: mapped.op, inbound: spec.inbound, tensors: mapped.tensors)
        if case .unmapped = mapped.op {
            layer.outputShape = nil
        } else {
            let shapes = try inputs.map { edge -> [Int] in
                guard let shape = edge.shape else { throw context.missingShape() }
                return shape
            }
            do {
                layer.outputShape = try ShapeInference.outputShape(of: mapped.op, named: spec.name, inputs: shapes)
            } catch {
                throw KerasError.shape(layer: spec.name, className: spec.className, detail: "\(error)")
            }
        }
        edges[spec.name] = Edge(shape: layer.outputShape, layout: mapped.layout)
        return layer
    }

    // MARK: - Weights

    /// The weights the file holds for `spec`, named by variable (`kernel`, `gamma`, …); the
    /// names of Keras 3's positional variables come from the class's mapper.
    private mutating func storedWeights(for spec: KerasLayerSpec, mapper: any KerasLayerMapper) throws -> [StoredWeight] {
        switch file.kind {
        case .legacyWeights, .fullModel:
            claimedLegacyOwners.insert(spec.name)
            // A layer that always has weights but has none at all in the file: the architecture
            // is not the one these weights were saved from (a wrong --config), not a lost weight.
            if legacyByLayer[spec.name] == nil, mapper.alwaysHasWeights, !legacyByLayer.isEmpty {
                let held = legacyByLayer.keys.sorted()
                throw KerasError.invalidConfig(
                    source: source, field: "layer '\(spec.name)' (\(spec.className))",
                    detail: "the weights file has none for this layer (it has weights for \(held.prefix(8).joined(separator: ", "))\(held.count > 8 ? ", …" : "")): this architecture does not match it")
            }
            return legacyByLayer[spec.name] ?? []
        case .keras3Weights:
            guard let (stored, recordedName) = try file.keras3Weights(key: spec.keras3Key) else { return [] }
            // Newer Keras writes the layer's name beside its variables: a cheap proof that the
            // positional walk found the right layer.
            if let recordedName, recordedName != spec.name {
                throw KerasError.invalidConfig(
                    source: source, field: "layer '\(spec.name)'",
                    detail: "the weights file keeps \(spec.keras3Key) for a layer named '\(recordedName)'; the architecture does not match this file")
            }
            let names = mapper.keras3VariableNames(spec.config)
            // Positions beyond the known names keep their index as their name (reported as unexpected).
            return stored.enumerated().map { index, weight in
                StoredWeight(name: index < names.count ? names[index] : String(index), dataset: weight.dataset)
            }
        }
    }
}
