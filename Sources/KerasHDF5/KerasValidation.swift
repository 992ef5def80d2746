import BNModel

/// Validation of a Keras `.h5` file: the findings of the one `Validator` pass over the model
/// the importer read, in Keras' vocabulary.
///
/// The importer records a defect of the file instead of stopping at it — a missing weight is
/// a layer without that tensor, a misshapen or extra weight a `SourceDefect` of the model — so
/// one run reports every defect, each with its code, layer and weight. Errors that mean the
/// file cannot be used at all (not HDF5, truncated, no Keras layout, no architecture, an
/// unsupported layer) are returned as `unusable` instead.
public enum KerasValidation {
    /// Validates the Keras file at `path` (any of the three layouts; weights-only files need
    /// `options.architectureJSON`).
    ///
    /// Findings use Keras' vocabulary for tensors (`moving_mean`, `moving_variance`, `gamma`,
    /// `kernel`, …) so that they can be found in the file with h5py; an `index` is a flat
    /// row-major index into the tensor in its *native* layout, the same for every source, and
    /// the message adds the element's coordinates in the Keras dataset where the mapping is a
    /// recorded layout transform (see `kerasCoordinates`).
    public static func validate(path: String, options: KerasImportOptions) -> (findings: [Finding], unusable: String?) {
        let imported: KerasImport
        do {
            imported = try KerasImporter.read(path: path, options: options)
        } catch let error as KerasError {
            if let finding = finding(for: error, path: path, options: options) { return ([finding], nil) }
            // Every unusable reason names the file, as the command line prints it alone.
            let reason = error.description
            return ([], reason.hasPrefix(path) ? reason : "\(path): \(reason)")
        } catch {
            return ([], "\(path): \(error)")
        }
        return (validate(imported, path: path), nil)
    }

    /// The IR rules on a model already imported from the Keras file at `path`, in Keras'
    /// vocabulary (see `validate(path:options:)`). The converter uses this to check the model
    /// it is about to write without reading the file twice.
    public static func validate(_ imported: KerasImport, path: String, values: ValueScan? = nil) -> [Finding] {
        let model = imported.model
        let records = imported.kerasProvenance.weights
        return Validator.validate(model, file: path, values: values).map { finding -> Finding in
            var renamed = finding
            guard let name = finding.location.layer, let role = finding.location.tensor, let layer = model.layer(named: name) else {
                return finding
            }
            if case .batchNorm = layer.op, case let keras = BatchNormMapper.kerasName(ofRole: role), keras != role {
                renamed.location.tensor = keras
                renamed.message = renamed.message.replacingOccurrences(of: "'\(role)'", with: "'\(keras)'")
            }
            if let index = finding.location.index, let tensor = layer.tensor(TensorRole(rawValue: role)),
               tensor.elementCount > index,
               let keras = kerasCoordinates(of: index, role: TensorRole(rawValue: role), layer: layer, records: records) {
                renamed.message += " (in the file: \(renamed.location.tensor ?? role)[\(keras.map(String.init).joined(separator: ", "))])"
            }
            return renamed
        }
    }

    /// Where native element `index` of a tensor lies in the Keras dataset it came from, as
    /// coordinates in that dataset. Derived from the `WeightTransform` recorded at import — the
    /// same code that moved the weights — by sending an array of element numbers through its
    /// inverse, so every layout (flattened heads and per-activation BN included) is covered
    /// without a second description of it. nil when `records` has none for the tensor.
    static func kerasCoordinates(of index: Int, role: TensorRole, layer: Layer, records: [KerasWeightRecord]) -> [Int]? {
        guard let record = records.first(where: { $0.layer == layer.name && $0.role == role }),
              let native = layer.tensor(role), index >= 0, index < native.elementCount,
              let numbers = try? Tensor(values: (0..<native.elementCount).map { Int64($0) }, shape: native.shape),
              let moved = try? record.transform.inverse(numbers, kerasShape: record.kerasShape),
              let flat = try? moved.values(as: Int64.self).firstIndex(of: Int64(index)) else { return nil }
        var coordinates = [Int](repeating: 0, count: record.kerasShape.count)
        var rest = flat
        for axis in record.kerasShape.indices.reversed() where record.kerasShape[axis] > 0 {
            coordinates[axis] = rest % record.kerasShape[axis]
            rest /= record.kerasShape[axis]
        }
        return coordinates
    }

    /// The finding a model defect the importer rejected stands for; nil when the error means
    /// the file is unusable. `options` are those the import was given (the architecture is
    /// read again to name the layer's class). The converter uses this to say which rule a
    /// refused file breaks.
    public static func finding(for error: KerasError, path: String, options: KerasImportOptions) -> Finding? {
        switch error {
        case let .missingWeight(_, layer, weight):
            let code: FindingCode = BatchNormMapper.variableNames.contains(weight) ? .bn001 : .ch005
            return Finding(code, .init(file: path, layer: layer, tensor: weight),
                           message: "layer '\(layer)' has no weight '\(weight)' in the file, which its configuration needs",
                           hint: "the weight was lost in saving or editing; re-save the model from Keras")
        case let .unexpectedWeights(_, layer, weights):
            // One defect per file: the importer reports the first layer with extra weights.
            let names = weights.map(variableName)
            return Finding(.ch006, .init(file: path, layer: layer, tensor: names.first),
                           message: "layer '\(layer)' holds weight\(names.count == 1 ? "" : "s") \(names.map { "'\($0)'" }.joined(separator: ", ")) that its configuration does not use (\(weights.joined(separator: ", ")))",
                           hint: "an engine would ignore it silently; remove it from the file or fix the layer's configuration (e.g. use_bias)")
        case let .weightShape(_, layer, weight, expected, found):
            let className = layerClass(layer, path: path, options: options)
            let code = weightShapeCode(className: className, weight: weight, expected: expected, found: found)
            return Finding(code, .init(file: path, layer: layer, tensor: weight),
                           message: weightShapeMessage(code, className: className, weight: weight, expected: expected, found: found),
                           hint: weightShapeHint(code))
        case let .invalidConfig(_, field, detail) where field.hasPrefix("layer '") && field.hasSuffix("'.inbound_nodes"):
            // The importer's only message for a dangling inbound reference (see GraphBuilder.map).
            let layer = String(field.dropFirst("layer '".count).dropLast("'.inbound_nodes".count))
            return Finding(.ch001, .init(file: path, layer: layer),
                           message: "layer '\(layer)': inbound_nodes \(detail)",
                           hint: "fix inbound_nodes in the architecture, or restore the missing layer")
        case let .shape(layer, _, detail):
            return Finding(.ch009, .init(file: path, layer: layer),
                           message: detail,
                           hint: "the layer's configuration does not fit the shape reaching it; check the input size (--input-shape) and the layers before it")
        case .unknownLayout, .architectureRequired, .invalidConfig, .unsupportedLayer, .unsupportedDType, .defective, .foldedModel, .inputShape, .hdf5, .outputName:
            return nil
        }
    }

    /// The defect of a weight whose stored shape does not fit its layer, with the code of the
    /// rule it breaks (see `weightShapeCode`).
    static func shapeDefect(layer: String, className: String, weight: String, role: TensorRole,
                            expected: [Int], found: [Int]) -> SourceDefect {
        let code = weightShapeCode(className: className, weight: weight, expected: expected, found: found)
        return SourceDefect(code: code, layer: layer, tensor: weight, role: role,
                            message: weightShapeMessage(code, className: className, weight: weight, expected: expected, found: found),
                            hint: weightShapeHint(code))
    }

    /// The defect of weights stored for `layer` that its configuration does not use (or for a
    /// layer the architecture does not have).
    static func unexpectedWeightsDefect(layer: String, weights: [String]) -> SourceDefect {
        let names = weights.map(variableName)
        return SourceDefect(code: .ch006, layer: layer, tensor: names.first,
                            message: "layer '\(layer)' holds weight\(names.count == 1 ? "" : "s") \(names.map { "'\($0)'" }.joined(separator: ", ")) that its configuration does not use (\(weights.joined(separator: ", ")))",
                            hint: "an engine would ignore it silently; remove it from the file or fix the layer's configuration (e.g. use_bias)")
    }

    /// `model/conv/kernel:0` → `kernel`: the variable name Keras gives the weight.
    static func variableName(_ datasetPath: String) -> String {
        let last = datasetPath.split(separator: "/").last.map(String.init) ?? datasetPath
        return String(last.split(separator: ":").first ?? Substring(last))
    }

    /// Which rule a weight of the wrong shape breaks: the rule of the layer's class (see
    /// `KerasLayerMapper.weightShapeCode`), or of batch norm for a batch-norm variable even when
    /// the class is unknown; CH008 when neither says more.
    static func weightShapeCode(className: String?, weight: String, expected: [Int], found: [Int]) -> FindingCode {
        let shapes = WeightShapeMismatch(expected: expected, found: found)
        if BatchNormMapper.variableNames.contains(weight) { return BatchNormMapper().weightShapeCode(weight: weight, shapes) }
        guard let className else { return .ch008 }
        return KerasMappers.mapper(for: className).weightShapeCode(weight: weight, shapes)
    }

    static func weightShapeMessage(_ code: FindingCode, className: String?, weight: String, expected: [Int], found: [Int]) -> String {
        let what: String
        switch code {
        case .bn003: what = "its channel count does not match the output channels of the layer feeding it"
        case .bn004:
            let swapped = expected.count == 4 && found.count == 4 && expected[1] == found[2] && expected[2] == found[1] && expected[1] != expected[2]
            what = swapped ? "the per-activation parameters have H and W swapped" : "the per-activation parameters do not cover the activation's H×W"
        case .ch002: what = "the kernel's input channels differ from the channels of the layer's input"
        case .ch003: what = "the kernel's input features differ from the size of the layer's (flattened) input"
        case .ch004: what = "the depthwise channels are not input channels × depth_multiplier"
        default: what = "the shape does not fit the layer's configuration"
        }
        return "\(className ?? "layer") weight '\(weight)' has shape \(found), expected \(expected): \(what)"
    }

    static func weightShapeHint(_ code: FindingCode) -> String {
        switch code {
        case .bn003: return "the batch norm belongs to a layer of another size; check the preceding layer's filters/units"
        case .bn004: return "Keras stores per-activation parameters as 1×H×W×C; the file's were transposed or belong to another input size"
        case .ch002, .ch003: return "the weights were trained for a different input; check the layers before this one"
        case .ch004: return "depth_multiplier in the configuration and the stored kernel disagree"
        default: return "the weight does not belong to this layer's configuration; re-save the model from Keras"
        }
    }

    /// The Keras class of `layer`, read again from the architecture, for choosing a finding
    /// code; nil when it cannot be determined (the finding then uses the generic code).
    static func layerClass(_ layer: String, path: String, options: KerasImportOptions) -> String? {
        let text: String
        let source: String
        if let given = options.architectureJSON {
            (text, source) = (given, options.architectureSource)
        } else {
            do {
                guard let stored = try KerasFile(path: path).storedArchitecture else { return nil }
                (text, source) = (stored, path)
            } catch {
                // The file was readable a moment ago (the importer got as far as the weights);
                // if it is not now, only the code's precision suffers.
                return nil
            }
        }
        do {
            return try KerasArchitecture(json: text, source: source).layers.first { $0.name == layer }?.className
        } catch {
            return nil
        }
    }
}
