import Foundation
import BNModel
import HDF5
import JSONSchema

/// The three ways Keras lays weights out in HDF5.
public enum KerasFileKind: String, Sendable {
    /// tf_keras / Keras 2 `save_weights('x.h5')`: root attribute `layer_names`, one group per
    /// layer with `weight_names`, datasets at `<layer>/<weight name>` (e.g. `conv/conv/kernel:0`).
    case legacyWeights = "keras-h5-weights"
    /// `model.save('x.h5')` (Keras 2 and 3): the same layout under `model_weights/`, and the
    /// architecture as JSON in the root attribute `model_config`.
    case fullModel = "keras-h5-model"
    /// Keras 3 `save_weights('x.weights.h5')`: `layers/<key>/vars/<i>`, positional, where the
    /// key is the class name in snake_case with a per-class counter in model order.
    case keras3Weights = "keras3-weights-h5"
}

/// One weight of one layer as stored: its variable name (`kernel`, `gamma`, … or the position
/// for Keras 3 files) and the dataset holding it.
struct StoredWeight {
    var name: String
    var dataset: Dataset
}

/// An open Keras HDF5 file: its kind, its architecture when it carries one, and its weights.
public struct KerasFile: Sendable {
    public let path: String
    public let kind: KerasFileKind
    /// The architecture stored in the file (`model_config`), if any.
    public let storedArchitecture: String?
    /// `keras_version` as the file records it ("" when absent, as in Keras 3 weights files).
    public let kerasVersion: String
    public let backend: String
    let file: HDF5File

    public init(path: String) throws {
        self.path = path
        let file: HDF5File
        var archiveArchitecture: String?
        if KerasArchive.isArchive(path) {
            // A `.keras` archive: its config.json is the architecture the file carries.
            (archiveArchitecture, file) = try KerasArchive.open(path)
        } else {
            do {
                file = try HDF5File.open(path)
            } catch let error as HDF5Error {
                throw KerasError.hdf5(error)
            }
        }
        self.file = file
        let root = try keras { try file.root }
        func text(_ node: some HDF5Node, _ name: String) throws -> String? {
            guard try node.hasAttribute(name) else { return nil }
            return try node.attribute(name).value.strings?.first
        }
        (kind, storedArchitecture, kerasVersion, backend) = try keras {
            let architecture = try archiveArchitecture ?? text(root, "model_config")
            let version = try text(root, "keras_version") ?? ""
            let backend = try text(root, "backend") ?? ""
            if try root.kind(of: "model_weights") == .group {
                return (.fullModel, architecture, version, backend)
            }
            if try root.hasAttribute("layer_names") || root.hasAttribute("layer_names0") {
                return (.legacyWeights, architecture, version, backend)
            }
            if try root.kind(of: "layers") == .group || root.kind(of: "vars") == .group {
                return (.keras3Weights, architecture, version.isEmpty ? "3" : version, backend)
            }
            throw KerasError.unknownLayout(
                file: path, detail: "no model_weights group, no layer_names attribute and no layers group at the root")
        }
    }

    /// Major Keras version that wrote the file (2 or 3); decides version-dependent semantics
    /// such as `hard_sigmoid`.
    public var kerasMajorVersion: Int {
        Int(kerasVersion.split(separator: ".").first ?? "") ?? (kind == .keras3Weights ? 3 : 2)
    }

    /// The group holding the legacy layout (`/` or `/model_weights`).
    func legacyRoot() throws -> Group {
        try keras { kind == .fullModel ? try file.root.group("model_weights") : try file.root }
    }

    /// Every weight of a legacy-layout file, grouped by the layer that owns it.
    ///
    /// A top-level group usually belongs to the layer of the same name. A model used as a
    /// layer has one group for all its sublayers, trainable weights first and then
    /// non-trainable ones (so a nested BN's moving statistics come after every trainable
    /// weight); those are assigned by the layer name inside each weight name
    /// (`sequential/bn/moving_mean:0` → `bn`), never by position.
    func legacyWeights(layerNames known: Set<String>) throws -> [String: [StoredWeight]] {
        let root = try legacyRoot()
        return try keras {
            var byLayer: [String: [StoredWeight]] = [:]
            for groupName in try root.stringListAttribute("layer_names") {
                // A layer or weight the lists name but the file lacks is left out: the layer
                // then misses a weight its configuration needs, which validation reports as
                // a finding at that layer (BN001, CH005), not as an unreadable file.
                guard try root.kind(of: groupName) == .group else {
                    byLayer[groupName, default: []] += []  // listed: its weights are missing, not foreign
                    continue
                }
                let group = try root.group(groupName)
                let names = try group.hasAttribute("weight_names") || group.hasAttribute("weight_names0")
                    ? try group.stringListAttribute("weight_names") : []
                for weightName in names {
                    guard try group.kind(of: weightName) == .dataset else { continue }
                    let dataset = try group.dataset(weightName)
                    let components = weightName.split(separator: "/").map(String.init)
                    let variable = String(components.last?.split(separator: ":").first ?? "")
                    let owner = known.contains(groupName) || components.count < 2 ? groupName : components[components.count - 2]
                    byLayer[owner, default: []].append(StoredWeight(name: variable, dataset: dataset))
                }
            }
            return byLayer
        }
    }

    /// Every group of the file with its attributes (the root's `model_config` value left out:
    /// the architecture travels in the provenance once), depth-first: with the weight records
    /// this is all a reverse conversion needs to rebuild the file's layout exactly.
    func skeleton(omitArchitecture: Bool) throws -> [KerasGroupRecord] {
        var groups: [KerasGroupRecord] = []
        func visit(_ group: Group) throws {
            var attributes = try HDF5JSONView.attributes(of: group).arrayValue ?? []
            if group.path == "/", omitArchitecture {
                attributes = attributes.map { attribute in
                    guard attribute["name"]?.stringValue == "model_config", case var .object(entry) = attribute else { return attribute }
                    entry["value"] = .null
                    return .object(entry)
                }
            }
            groups.append(KerasGroupRecord(path: group.path, attributes: attributes))
            for name in try group.children() where try group.kind(of: name) == .group {
                try visit(try group.group(name))
            }
        }
        try keras { try visit(try file.root) }
        return groups
    }

    /// What a weights file holds without an architecture: each layer's weights (name, Keras
    /// shape, element type) in file order — legacy files in `layer_names` order, Keras 3 files
    /// by their `layers/<key>` groups. For looking at a file, not for converting it.
    public func weightListing() throws -> [(layer: String, weights: [(name: String, shape: [Int], type: String)])] {
        try keras {
            switch kind {
            case .legacyWeights, .fullModel:
                let root = try legacyRoot()
                return try root.stringListAttribute("layer_names").map { name in
                    let group = try root.group(name)
                    let names = try group.hasAttribute("weight_names") || group.hasAttribute("weight_names0")
                        ? try group.stringListAttribute("weight_names") : []
                    return (name, try names.map { weight in
                        let dataset = try group.dataset(weight)
                        return (weight, dataset.shape, dataset.elementType.code)
                    })
                }
            case .keras3Weights:
                var result: [(layer: String, weights: [(name: String, shape: [Int], type: String)])] = []
                func visit(_ group: Group) throws {
                    for child in try group.children() where try group.kind(of: child) == .group {
                        let sub = try group.group(child)
                        if child == "vars" {
                            let names = try sub.children().sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
                            let recorded = try sub.hasAttribute("name") ? try sub.attribute("name").value.strings?.first : nil
                            let label = recorded.map { "\(group.path) ('\($0)')" } ?? group.path
                            result.append((label, try names.map { name in
                                let dataset = try sub.dataset(name)
                                return (name, dataset.shape, dataset.elementType.code)
                            }))
                        } else {
                            try visit(sub)
                        }
                    }
                }
                try visit(try file.root)
                return result
            }
        }
    }

    /// The weights of a Keras 3 `.weights.h5` layer at `key` (e.g. `layers/conv2d`), by position.
    /// Also returns the layer name Keras recorded on the `vars` group, when it did.
    func keras3Weights(key: String) throws -> (weights: [StoredWeight], recordedName: String?)? {
        try keras {
            let root = try file.root
            let vars = key + "/vars"
            guard try root.kind(of: vars) == .group else { return nil }
            let group = try root.group(vars)
            let recordedName = try group.hasAttribute("name") ? try group.attribute("name").value.strings?.first : nil
            let names = try group.children()
            let count = names.count
            return (try (0..<count).map { index in
                guard names.contains(String(index)) else {
                    throw KerasError.missingWeight(file: path, layer: key, weight: "vars/\(index)")
                }
                return StoredWeight(name: String(index), dataset: try group.dataset(String(index)))
            }, recordedName)
        }
    }

    /// The IR tensor over a stored weight, left in the file until read.
    /// Untagged 2-byte opaque data is bfloat16 when the dataset says so (Keras 3
    /// `.weights.h5`) or when the layer's dtype policy does (`assumeBFloat16`; Keras 3 full
    /// `.h5` files carry no marker on the dataset).
    func tensor(_ weight: StoredWeight, assumeBFloat16: Bool) throws -> Tensor {
        let dataset = weight.dataset
        let dtype: DType
        switch dataset.elementType {
        case .float16: dtype = .f16
        case .float32: dtype = .f32
        case .float64: dtype = .f64
        case .int8: dtype = .i8
        case .int16: dtype = .i16
        case .int32: dtype = .i32
        case .int64: dtype = .i64
        case .uint8: dtype = .u8
        case .opaque(size: 2) where try assumeBFloat16 || keras({
            try dataset.hasAttribute("dtype") && dataset.attribute("dtype").value.strings == ["bfloat16"]
        }):
            dtype = .bf16
        default:
            throw KerasError.unsupportedDType(file: path, path: dataset.path, type: dataset.elementType.description)
        }
        let source = try keras { try DatasetSource(dataset: dataset, elementSize: dtype.byteSize) }
        return try Tensor(dtype: dtype, shape: dataset.shape, source: source)
    }
}
