import BNModel
import HDF5
import JSONSchema

/// Where one native tensor came from in the Keras file and how to turn it back: kept in the
/// `.bnm` provenance (``KerasProvenance``) so that `.bnm` → Keras writes every dataset at
/// its original path, shape, dtype and attributes.
struct KerasWeightRecord: Sendable, Equatable {
    var layer: String
    var role: TensorRole
    /// Absolute dataset path in the source file.
    var path: String
    var kerasShape: [Int]
    var dtype: DType
    var transform: WeightTransform
    /// The dataset's own attributes (Keras 3 marks bfloat16 data with `dtype`), as the JSON view writes them.
    var attributes: JSONValue

    init(layer: String, role: TensorRole, weight: StoredWeight, kerasShape: [Int], dtype: DType, transform: WeightTransform) throws {
        self.layer = layer
        self.role = role
        path = weight.dataset.path
        self.kerasShape = kerasShape
        self.dtype = dtype
        self.transform = transform
        attributes = try keras { try HDF5JSONView.attributes(of: weight.dataset) }
    }

    var json: JSONValue {
        .object([
            "layer": .string(layer), "role": .string(role.rawValue), "path": .string(path),
            "shape": .array(kerasShape.map { .int(Int64($0)) }), "dtype": .string(dtype.rawValue),
            "transform": transform.json, "attributes": attributes,
        ])
    }

    init(json: JSONValue, source: String) throws(KerasError) {
        func fail(_ field: String) -> KerasError {
            .invalidConfig(source: source, field: "provenance.extra.\(KerasProvenance.Key.weights).\(field)", detail: "missing or malformed")
        }
        guard let layer = json["layer"]?.stringValue else { throw fail("layer") }
        guard let role = json["role"]?.stringValue else { throw fail("role") }
        guard let path = json["path"]?.stringValue else { throw fail("path") }
        guard let shape = json["shape"]?.arrayValue?.compactMap(\.intValue), shape.count == json["shape"]?.arrayValue?.count else {
            throw fail("shape")
        }
        guard let dtype = json["dtype"]?.stringValue.flatMap(DType.init(rawValue:)) else { throw fail("dtype") }
        guard let transform = json["transform"].flatMap(WeightTransform.init(json:)) else { throw fail("transform") }
        self.layer = layer
        self.role = TensorRole(rawValue: role)
        self.path = path
        kerasShape = shape.map { Int($0) }
        self.dtype = dtype
        self.transform = transform
        attributes = json["attributes"] ?? .array([])
    }
}

/// JSON integers as `[Int]`, or nil when any item is not an integer.
func integerList(_ value: JSONValue?) -> [Int]? {
    guard let items = value?.arrayValue else { return nil }
    let numbers = items.compactMap(\.intValue).map { Int($0) }
    return numbers.count == items.count ? numbers : nil
}

extension FlattenOrder {
    /// `null` for the identity order; `{"map_shape": [C, H, W], "keras_axes": [...]}` otherwise.
    static func json(_ order: FlattenOrder?) -> JSONValue {
        guard let order else { return .null }
        return .object(["map_shape": .array(order.mapShape.map { .int(Int64($0)) }),
                        "keras_axes": .array(order.kerasAxes.map { .int(Int64($0)) })])
    }

    /// The inverse of `json(_:)`: nil when `value` is missing or malformed, `.some(nil)` for `null`.
    static func decode(_ value: JSONValue?) -> FlattenOrder?? {
        guard let value else { return nil }
        if value == .null { return .some(nil) }
        guard let shape = integerList(value["map_shape"]), let axes = integerList(value["keras_axes"]),
              shape.count == 3, productIfRepresentable(shape) != nil, axes.sorted() == [0, 1, 2] else { return nil }
        return .some(FlattenOrder(mapShape: shape, kerasAxes: axes))
    }
}

extension VectorSegment {
    static func json(_ segments: [VectorSegment]) -> JSONValue {
        .array(segments.map { .object(["length": .int(Int64($0.length)), "flatten_order": FlattenOrder.json($0.order)]) })
    }

    static func decode(_ value: JSONValue?) -> [VectorSegment]? {
        guard let items = value?.arrayValue else { return nil }
        let segments = items.compactMap { item -> VectorSegment? in
            guard let length = item["length"]?.intValue, length >= 0, length <= Int.max,
                  let order = FlattenOrder.decode(item["flatten_order"]),
                  order.map({ productIfRepresentable($0.mapShape) == Int(length) }) ?? true else { return nil }
            return VectorSegment(length: Int(length), order: order)
        }
        return segments.count == items.count ? segments : nil
    }
}

extension WeightTransform {
    var json: JSONValue {
        let order = FlattenOrder.json
        switch self {
        case let .denseKernelSegments(segments): return .object(["kind": "dense_kernel_segments", "segments": VectorSegment.json(segments)])
        case let .batchNormSegments(segments): return .object(["kind": "batch_norm_segments", "segments": VectorSegment.json(segments)])
        case .identity: return ["kind": "identity"]
        case .convKernel: return ["kind": "conv_kernel"]
        case .depthwiseKernel: return ["kind": "depthwise_kernel"]
        case let .denseKernel(flatten): return .object(["kind": "dense_kernel", "flatten_order": order(flatten)])
        case let .batchNormVector(flatten): return .object(["kind": "batch_norm_vector", "flatten_order": order(flatten)])
        case let .perActivation(kerasAxes, nativeShape):
            return .object(["kind": "per_activation", "keras_axes": .array(kerasAxes.map { .int(Int64($0)) }),
                            "native_shape": .array(nativeShape.map { .int(Int64($0)) })])
        }
    }

    init?(json: JSONValue) {
        let ints = integerList
        let order = FlattenOrder.decode
        switch json["kind"]?.stringValue {
        case "dense_kernel_segments":
            guard let segments = VectorSegment.decode(json["segments"]) else { return nil }
            self = .denseKernelSegments(segments)
        case "batch_norm_segments":
            guard let segments = VectorSegment.decode(json["segments"]) else { return nil }
            self = .batchNormSegments(segments)
        case "identity": self = .identity
        case "conv_kernel": self = .convKernel
        case "depthwise_kernel": self = .depthwiseKernel
        case "dense_kernel":
            guard let flatten = order(json["flatten_order"]) else { return nil }
            self = .denseKernel(flatten)
        case "batch_norm_vector":
            guard let flatten = order(json["flatten_order"]) else { return nil }
            self = .batchNormVector(flatten)
        case "per_activation":
            guard let axes = ints(json["keras_axes"]), axes.sorted() == [0, 1, 2],
                  let shape = ints(json["native_shape"]), shape.count == 3, productIfRepresentable(shape) != nil else { return nil }
            self = .perActivation(kerasAxes: axes, nativeShape: shape)
        default: return nil
        }
    }
}
