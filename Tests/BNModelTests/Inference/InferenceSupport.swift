@testable import BNModel

/// Small builders for hand-made models in the inference tests.
enum Hand {
    /// A binary32 tensor holding `values` (row-major) with `shape`.
    static func tensor(_ values: [Float], _ shape: [Int]) -> Tensor {
        do { return try Tensor(float32: values, shape: shape) } catch { fatalError("bad test tensor: \(error)") }
    }

    /// A binary32 tensor of `shape` filled with `value`.
    static func filled(_ shape: [Int], _ value: Float = 0) -> Tensor {
        tensor([Float](repeating: value, count: shape.reduce(1, *)), shape)
    }

    /// A binary32 tensor of `shape` holding 0, 1, 2, … in row-major order, scaled by `scale`.
    static func ramp(_ shape: [Int], scale: Float = 1) -> Tensor {
        tensor((0..<shape.reduce(1, *)).map { Float($0) * scale }, shape)
    }

    /// A model with one input `in` of `shape`, then `layers` chained in order (each fed by the
    /// previous one unless it names its inbound layers), the last one the output.
    static func chain(input shape: [Int], _ layers: [Layer]) -> Model {
        var all = [Layer(name: "in", op: .input(shape: shape))]
        for var layer in layers {
            if layer.inbound.isEmpty { layer.inbound = [all[all.count - 1].name] }
            all.append(layer)
        }
        return Model(name: "hand", inputs: ["in"], outputs: [all[all.count - 1].name], layers: all,
                     provenance: Provenance(sourceFormat: "test"))
    }

    /// Runs a single-input, single-output `model` on `input` (batch included).
    static func run(_ model: Model, _ input: NDArray) throws -> NDArray {
        let interpreter = try ReferenceInterpreter(model: model)
        let outputs = try interpreter.run(inputs: [model.inputs[0]: input])
        guard let output = outputs[model.outputs[0]] else { fatalError("no output") }
        return output
    }
}

/// `true` when every value is within `tolerance` of the expected one (both arrays the same length).
func nearlyEqual(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5) -> Bool {
    actual.count == expected.count && zip(actual, expected).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}
