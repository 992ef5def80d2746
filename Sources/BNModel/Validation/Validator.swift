/// Finds what makes a model "load but give garbage" before an engine does: batch-norm
/// parameters that do not fit the graph or hold impossible statistics, weights that do not
/// chain through the layers, NaN/Inf values, and damaged `.bnm` bytes.
///
/// Every rule reports a `Finding` (see `FindingCode` for the table) instead of throwing, so one
/// run lists every problem it can see. Rules never trap, whatever the model holds: sizes are
/// multiplied with overflow checks, shapes are checked for rank before they are indexed, and
/// tensor values are read in bounded chunks through `Tensor.forEachChunk` (lazy, mapped and
/// in-memory storage alike), so a damaged or hostile file yields findings, not a crash.
public enum Validator {
    /// Every finding of the IR rules on `model`, in layer order. `file` is the name findings
    /// carry in their location (the file the model was read from).
    ///
    /// Shape inference runs layer by layer rather than as one pass that stops at the first
    /// failure: a layer whose output cannot be computed gets a `CH009` finding and its recorded
    /// output shape (if any) is used for the layers after it, so a model whose shapes do not
    /// chain still gets per-layer findings downstream. Layers fed by a layer of unknown shape
    /// skip only the checks that need that shape.
    public static func validate(_ model: Model, file: String, values: ValueScan? = nil) -> [Finding] {
        var rules = ModelRules(model: model, file: file, damaged: [], values: values)
        rules.run()
        return rules.findings
    }

    /// Everything `validate(_:file:)` checks on a model, plus every file-level rule of
    /// docs/FORMAT.md on the `.bnm` at `path` — header and manifest CRCs, extents, alignment,
    /// the schema, padding, and every tensor's CRC-32, always. A file that cannot be read at
    /// all (not a `.bnm`, unreadable, a newer major version) gives a single `FILE008` finding;
    /// use `validateFile(bnmPath:)` to tell that case apart (the command line exits 2 for it).
    public static func validate(bnmPath path: String) -> [Finding] {
        let result = validateFile(bnmPath: path)
        guard let unusable = result.unusable else { return result.findings }
        return result.findings + [Finding(.file008, .init(file: path), message: unusable,
                                          hint: "check the path and that the file is a .bnm written by bnconvert; a newer version may need a newer bnconvert")]
    }
}

/// A tensor of a model, by layer name and role.
struct TensorKey: Hashable {
    var layer: String
    var role: String
}

/// One validation run over a model: walks the layers in order, tracking the output shape of
/// every layer it could compute, and collects findings.
struct ModelRules {
    let model: Model
    let file: String
    /// Tensors whose bytes failed their CRC: their values are not what was written, so value
    /// rules skip them (the `FILE001` finding already says they are damaged).
    let damaged: Set<TensorKey>
    /// Value statistics already gathered (by the writer's pass), used instead of reading.
    let values: ValueScan?
    private(set) var findings: [Finding] = []
    /// The reader's defects by layer, reported in layer order with the layer's other findings.
    private let defectsByLayer: [String: [SourceDefect]]

    init(model: Model, file: String, damaged: Set<TensorKey>, values: ValueScan? = nil) {
        defectsByLayer = Dictionary(grouping: model.sourceDefects.filter { $0.layer != nil }, by: { $0.layer ?? "" })
        self.model = model
        self.file = file
        self.damaged = damaged
        self.values = values
    }

    private mutating func report(_ code: FindingCode, layer: String? = nil, tensor: String? = nil, index: Int? = nil,
                                 _ message: String, hint: String) {
        findings.append(Finding(code, .init(file: file, layer: layer, tensor: tensor, index: index), message: message, hint: hint))
    }

    mutating func run() {
        checkEndpoints()
        var shapes: [String: [Int]] = [:]
        var earlier = Set<String>()
        for layer in model.layers {
            if earlier.contains(layer.name) {
                report(.ch010, layer: layer.name, "two layers are named '\(layer.name)'",
                       hint: "layer names must be unique; rename one and its references")
            }
            var inputs: [[Int]]? = []
            for inbound in layer.inbound {
                guard earlier.contains(inbound) else {
                    let exists = model.layers.contains { $0.name == inbound }
                    report(.ch001, layer: layer.name,
                           "takes input from '\(inbound)', which \(exists ? "comes later in the model (layers must be in topological order)" : "is not a layer of the model")",
                           hint: "fix the inbound reference in the architecture, or restore the missing layer")
                    inputs = nil
                    continue
                }
                if let shape = shapes[inbound] { inputs?.append(shape) } else { inputs = nil }
            }
            earlier.insert(layer.name)
            let output = outputShape(of: layer, inputs: inputs)
            if let output { shapes[layer.name] = output }
            checkWeights(of: layer, inputs: inputs)
            checkValues(of: layer)
            for defect in defectsByLayer[layer.name] ?? [] { report(defect) }
        }
        for defect in model.sourceDefects where defect.layer.map({ !earlier.contains($0) }) ?? true { report(defect) }
    }


    private mutating func report(_ defect: SourceDefect) {
        report(defect.code, layer: defect.layer, tensor: defect.tensor, defect.message, hint: defect.hint)
    }

    /// Whether the reader already reported `role` of `layer` (so its absence is not news).
    private func hasDefect(_ layer: String, _ role: TensorRole) -> Bool {
        model.sourceDefects.contains { $0.layer == layer && $0.role == role }
    }

    /// Model inputs must be input layers and outputs must be layers.
    private mutating func checkEndpoints() {
        for input in model.inputs {
            if case .input? = model.layer(named: input)?.op { continue }
            report(.ch010, layer: input, "model input '\(input)' is not an input layer of the model",
                   hint: "list only input layers as model inputs")
        }
        for output in model.outputs where model.layer(named: output) == nil {
            report(.ch010, layer: output, "model output '\(output)' is not a layer of the model",
                   hint: "list only existing layers as model outputs")
        }
    }

    // MARK: Shapes

    /// The layer's output shape: computed from its inputs when they are known (a failure is a
    /// `CH009`/`CH010` finding), else the shape the reader recorded, so later layers can still
    /// be checked.
    private mutating func outputShape(of layer: Layer, inputs: [[Int]]?) -> [Int]? {
        if case .unmapped = layer.op { return layer.outputShape }
        do throws(AttributeIssue) {
            try layer.op.definition.checkAttributes()
        } catch {
            report(.ch010, layer: layer.name, "\(layer.op.kind) '\(layer.name)': \(error.field) \(error.message)", hint: "fix the layer's configuration")
            return layer.outputShape
        }
        guard let inputs else { return layer.outputShape }
        let inferred: [Int]
        do {
            inferred = try ShapeInference.outputShape(of: layer.op, named: layer.name, inputs: inputs)
        } catch {
            if case .invalidAttribute = error {
                report(.ch010, layer: layer.name, "\(error)", hint: "fix the layer's configuration")
            } else {
                report(.ch009, layer: layer.name, "\(error)",
                       hint: "the layer's configuration does not fit the shapes flowing into it; check the architecture")
            }
            return layer.outputShape
        }
        if let recorded = layer.outputShape, recorded != inferred {
            report(.ch009, layer: layer.name, "records output shape \(recorded), but its inputs \(inputs) and configuration give \(inferred)",
                   hint: "the recorded shape is stale or the configuration was edited; re-convert the model")
        }
        return inferred
    }

    // MARK: Weights against the configuration and the input

    /// The layer's tensors against the ones its kind describes (`LayerKind.tensors(inputs:)`):
    /// a missing one (`CH005`, `BN001`), one the kind does not use (`CH006`), one whose rank or
    /// configured sizes differ (`CH008`), one whose size differs from what the input gives (the
    /// dimension's own code: `CH002` channels, `CH003` features, `CH004` depthwise), and dtypes.
    private mutating func checkWeights(of layer: Layer, inputs: [[Int]]?) {
        let name = layer.name
        switch layer.op {
        case let .unmapped(className, _):
            report(.ch012, layer: name, "layer '\(name)' (\(className)) was carried over unmapped with its \(layer.tensors.count) weight(s)",
                   hint: "an engine cannot run this model as it stands; replace the layer with supported ones, or implement it in the engine")
            return
        case .batchNorm(let config):
            checkBatchNorm(layer, config, input: inputs?.count == 1 ? inputs?.first : nil)
            checkDTypes(of: layer, skipping: [])
            return
        default:
            break
        }
        let expected = layer.op.definition.tensors(inputs: inputs)
        guard !expected.isEmpty else {
            for named in layer.tensors {
                report(.ch006, layer: name, tensor: named.role.rawValue,
                       "a \(layer.op.kind) layer has no weights, but holds tensor '\(named.role.rawValue)' \(named.tensor.shape)",
                       hint: "an engine would ignore it silently; remove it or fix the layer's kind")
            }
            return
        }
        expectRoles(layer, expected)
        for spec in expected where !spec.verbatim {
            guard let tensor = layer.tensor(spec.role) else { continue }
            checkShape(of: tensor, in: layer, against: spec)
        }
        checkDTypes(of: layer, skipping: Set(expected.filter(\.verbatim).map(\.role)))
    }

    /// Missing required roles and roles the layer's kind does not use (`CH006`).
    private mutating func expectRoles(_ layer: Layer, _ expected: [ExpectedTensor]) {
        for spec in expected where spec.required && layer.tensor(spec.role) == nil && !hasDefect(layer.name, spec.role) {
            report(spec.missingCode, layer: layer.name, tensor: spec.role.rawValue,
                   "\(layer.op.kind) layer has no '\(spec.role.rawValue)' tensor, which its configuration needs",
                   hint: "the weight was lost in saving or editing; re-export the model")
        }
        for named in layer.tensors where !expected.contains(where: { $0.role == named.role }) {
            report(.ch006, layer: layer.name, tensor: named.role.rawValue,
                   "\(layer.op.kind) layer holds tensor '\(named.role.rawValue)' \(named.tensor.shape), which its configuration does not use",
                   hint: "an engine would ignore it silently (e.g. a bias with use_bias = false); remove it or fix the configuration")
        }
    }

    /// One tensor's shape against its description: a wrong rank, then sizes fixed by the
    /// configuration, then sizes given by the input, each its own finding.
    private mutating func checkShape(of tensor: Tensor, in layer: Layer, against spec: ExpectedTensor) {
        let role = spec.role.rawValue
        guard tensor.rank == spec.dimensions.count else {
            report(.ch008, layer: layer.name, tensor: role, "\(role) has shape \(tensor.shape), expected \(spec.layout)",
                   hint: "the tensor was not converted to the native layout, or belongs to another layer")
            return
        }
        var configured: [String] = []
        for (axis, dimension) in spec.dimensions.enumerated() {
            guard let size = dimension.size, tensor.shape[axis] != size else { continue }
            switch dimension.source {
            case .fixed:
                configured.append("axis \(axis) = \(size)")
            case .attribute(let attribute, let value):
                let text = "\(attribute) = \(value)"
                if !configured.contains(text) { configured.append(text) }
            case .input(let unit, let origin, let code):
                let source = origin ?? "its input \(producerText(layer))"
                let flattened = code == .ch003 ? flattenedText(layer) : ""
                report(code, layer: layer.name, tensor: role,
                       "\(role) expects \(tensor.shape[axis]) \(unit), but \(source) gives \(size)\(flattened)",
                       hint: code == .ch003
                           ? "the Dense kernel was trained for a different input size; check the layers before it (Flatten after a different map size?)"
                           : "the tensor belongs to another model, or a layer between them changed its size")
            }
        }
        if !configured.isEmpty {
            let needed = spec.dimensions.map(\.symbol).joined(separator: ", ")
            report(.ch008, layer: layer.name, tensor: role,
                   "\(role) has shape \(tensor.shape), but \(configured.joined(separator: " and ")) need [\(needed)]",
                   hint: "the tensor does not match the layer's configuration")
        }
    }

    /// Weights of conv, dense and batch-norm layers must be floating point (`CH011`) and of one
    /// dtype within the layer (`CH007`), since engines bind one data type per layer.
    private mutating func checkDTypes(of layer: Layer, skipping verbatim: Set<TensorRole>) {
        var counts: [DType: Int] = [:]
        for named in layer.tensors where !verbatim.contains(named.role) {
            if named.tensor.dtype.isFloatingPoint {
                counts[named.tensor.dtype, default: 0] += 1
            } else {
                report(.ch011, layer: layer.name, tensor: named.role.rawValue,
                       "tensor '\(named.role.rawValue)' is \(named.tensor.dtype.rawValue); a \(layer.op.kind) layer needs floating-point weights",
                       hint: "store the weight as f32 (or f16/bf16/f64)")
            }
        }
        guard counts.count > 1 else { return }
        // The layer's dtype is the one most of its tensors have (the first such in layer order on a tie).
        let order = layer.tensors.map(\.tensor.dtype).filter(\.isFloatingPoint)
        var majority = order[0]
        for dtype in order where counts[dtype, default: 0] > counts[majority, default: 0] { majority = dtype }
        for named in layer.tensors where named.tensor.dtype.isFloatingPoint && named.tensor.dtype != majority {
            report(.ch007, layer: layer.name, tensor: named.role.rawValue,
                   "tensor '\(named.role.rawValue)' is \(named.tensor.dtype.rawValue), the layer's other tensors are \(majority.rawValue)",
                   hint: "convert the layer's tensors to one dtype; an engine binds one data type per layer")
        }
    }

    // MARK: Batch norm

    private mutating func checkBatchNorm(_ layer: Layer, _ config: BatchNormConfig, input: [Int]?) {
        let name = layer.name
        let roles = BatchNormConfig.parameters
        expectRoles(layer, config.tensors(inputs: input.map { [$0] }))
        if !config.epsilon.isFinite || config.epsilon <= 0 {
            report(.bn006, layer: name, "epsilon is \(config.epsilon); 1/sqrt(variance + epsilon) divides by zero where a variance is 0",
                   hint: "use the epsilon the model was trained with (Keras' default is 0.001)")
        } else if config.epsilon < 1e-5 {
            report(.bn007, layer: name,
                   "epsilon is \(config.epsilon), below 1e-5: cuDNN before 7.5 and fused TensorFlow kernels reject it (cuDNN 9 accepts it)",
                   hint: "engines that clamp epsilon to 1e-5 will compute different outputs; keep it only if every target accepts it")
        }

        let present = roles.compactMap { role in layer.tensor(role).map { (role: role, shape: $0.shape) } }
        guard let first = present.first else { return }
        // The layer's shape is the one most parameters share (the first on a tie), so a single
        // odd parameter is the one reported.
        var counts: [[Int]: Int] = [:]
        for item in present { counts[item.shape, default: 0] += 1 }
        var reference = first.shape
        for item in present where counts[item.shape, default: 0] > counts[reference, default: 0] { reference = item.shape }
        for item in present where item.shape != reference {
            report(.bn002, layer: name, tensor: item.role.rawValue,
                   "\(item.role.rawValue) has shape \(item.shape), the other parameters have \(reference)",
                   hint: "all four parameters must have one shape; this one belongs to another layer or was edited")
        }
        guard reference.count == 4, reference[0] == 1 else {
            report(.bn004, layer: name, "parameters have shape \(reference), but batch norm needs rank-4 [1, C, 1, 1] (spatial) or [1, C, H, W] (per-activation)",
                   hint: "the parameters were not converted to the native batch-norm layout")
            return
        }
        let expectedText = config.mode == .spatial ? "[1, C, 1, 1]" : "[1, C, H, W]"
        if let input, let channels = input.first, reference[1] != channels {
            report(.bn003, layer: name,
                   "normalises C = \(reference[1]) channels, but its input \(producerText(layer)) has \(channels)",
                   hint: "the batch norm belongs to a layer of another size; check the preceding layer's filters/units")
        }
        switch config.mode {
        case .spatial:
            if reference[2] != 1 || reference[3] != 1 {
                report(.bn004, layer: name,
                       "mode is spatial, which needs \(expectedText), but the parameters have shape \(reference)\(reference[2] > 1 || reference[3] > 1 ? " (per-activation shaped)" : "")",
                       hint: "set mode per_activation if the statistics are per position, else the parameters are wrong")
            }
        case .perActivation:
            guard let input else { break }
            let spatial = input.count == 3 ? [input[1], input[2]] : [1, 1]
            let found = [reference[2], reference[3]]
            if found != spatial {
                let swapped = found == [spatial[1], spatial[0]]
                report(.bn004, layer: name,
                       "per-activation parameters cover H×W = \(found[0])×\(found[1]), but the activation is \(spatial[0])×\(spatial[1])\(swapped ? " (H and W swapped)" : "")",
                       hint: swapped ? "the parameters were transposed with H and W exchanged; Keras stores them as 1×H×W×C"
                                     : "the parameters belong to an activation of another size")
            }
        }
    }

    // MARK: Values

    /// NaN/Inf in any floating-point tensor (`VAL001`); for batch norm, the variance rules
    /// (`BN005`, `BN008`, `VAL002`, which cover non-finite variances instead of `VAL001`) and
    /// the materialised constants (`BN009`).
    private mutating func checkValues(of layer: Layer) {
        var batchNorm: BatchNormConfig?
        if case .batchNorm(let config) = layer.op { batchNorm = config }
        for named in layer.tensors where named.tensor.dtype.isFloatingPoint {
            let role = named.role
            guard !damaged.contains(TensorKey(layer: layer.name, role: role.rawValue)) else { continue }
            let tensor = named.tensor
            let isVariance = batchNorm != nil && role == .variance
            let (constant, narrowEpsilon, _) = ValueStats.expectations(for: role, dtype: tensor.dtype, in: layer)
            let stats: ValueStats
            do {
                if let scanned = values?.stats[TensorKey(layer: layer.name, role: role.rawValue)] {
                    stats = scanned
                } else {
                    stats = try ValueStats(tensor, constant: constant, narrowEpsilon: narrowEpsilon, isVariance: isVariance)
                }
            } catch {
                report(.val003, layer: layer.name, tensor: role.rawValue, "the tensor's bytes could not be read: \(error)",
                       hint: "the source file is damaged or changed while reading")
                continue
            }
            let element = { (index: Int) in "\(role.rawValue)\(coordinates(index, tensor.shape))" }
            if isVariance {
                if let index = stats.firstInvalidVariance {
                    report(.bn005, layer: layer.name, tensor: role.rawValue, index: index,
                           "\(element(index)) is \(stats.invalidVarianceValue); \(stats.invalidVarianceCount) of \(tensor.elementCount) variances are negative, NaN or infinite",
                           hint: "a variance is a mean of squares and cannot be negative: the statistics are corrupt or were edited; re-export the trained model")
                } else if tensor.elementCount > 0, stats.allZero {
                    report(.bn008, layer: layer.name, tensor: role.rawValue,
                           "every one of the \(tensor.elementCount) variances is 0: the statistics look untrained, and the output is (x − mean)/sqrt(epsilon)",
                           hint: "save the model after training (or after calibrating the statistics)")
                }
                if let index = stats.firstNarrowOverflow {
                    report(.val002, layer: layer.name, tensor: role.rawValue, index: index,
                           "in \(tensor.dtype.rawValue), \(element(index)) + epsilon is \(stats.narrowOverflowValue), so 1/sqrt(variance + epsilon) is not finite",
                           hint: "store the batch-norm parameters as f32, or raise epsilon so that variance + epsilon is a positive \(tensor.dtype.rawValue) number")
                }
            } else if let index = stats.firstNonFinite {
                report(.val001, layer: layer.name, tensor: role.rawValue, index: index,
                       "\(element(index)) is \(stats.nonFiniteValue); \(stats.nonFiniteCount) of \(tensor.elementCount) elements are NaN or infinite",
                       hint: "training diverged or the file was damaged; re-export the model from a good checkpoint")
            }
            if let constant, let index = stats.firstNotConstant {
                report(.bn009, layer: layer.name, tensor: role.rawValue, index: index,
                       "\(role.rawValue) is recorded as materialised (absent in the source) but \(element(index)) is \(stats.notConstantValue), not \(constant)",
                       hint: "the reverse conversion drops materialised parameters, losing these values; remove the role from materialized")
            }
        }
    }

    // MARK: Text helpers

    /// "'conv' (conv2d)", naming the layer that feeds `layer`.
    private func producerText(_ layer: Layer) -> String {
        guard let name = layer.inbound.first else { return "" }
        guard let producer = model.layer(named: name) else { return "'\(name)'" }
        return "'\(name)' (\(producer.op.kind))"
    }

    /// " (flatten of [C, H, W] = C×H×W)" when `layer`'s input is a flatten of a known map.
    private func flattenedText(_ layer: Layer) -> String {
        guard let name = layer.inbound.first, let producer = model.layer(named: name), case .flatten = producer.op,
              let source = producer.inbound.first, let map = model.layer(named: source)?.outputShape else { return "" }
        return " (flattened from \(map) = \(map.map(String.init).joined(separator: "×")))"
    }
}

/// `a × b`, nil on overflow or a negative factor.
func checkedProduct(_ a: Int, _ b: Int) -> Int? {
    guard a >= 0, b >= 0 else { return nil }
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? nil : product
}

/// "[0, 2, 0, 0]" — the row-major coordinates of flat `index` in `shape`, which say more than
/// the flat index in a rank-4 tensor (just "[index]" for vectors and empty dimensions).
func coordinates(_ index: Int, _ shape: [Int]) -> String {
    guard shape.count > 1, shape.allSatisfy({ $0 > 0 }) else { return "[\(index)]" }
    var rest = index
    var result = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() {
        result[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return "[\(result.map(String.init).joined(separator: ", "))]"
}
