import BNModel
import Foundation
import Testing

/// Small models built by hand, each with one defect, so that every IR rule is shown to fire
/// exactly where it should (and nowhere else).
enum ValidationModels {
    static func tensor(_ shape: [Int], _ value: (Int) -> Float = { Float($0 % 7) * 0.125 - 0.25 }) -> Tensor {
        let count = shape.reduce(1, *)
        do {
            return try Tensor(float32: (0..<count).map(value), shape: shape)
        } catch {
            preconditionFailure("test tensor \(shape): \(error)")
        }
    }

    static func batchNorm(_ shape: [Int], variance: Float = 1.5) -> [NamedTensor] {
        [NamedTensor(role: .gamma, tensor: tensor(shape) { 1 + Float($0) * 0.01 }),
         NamedTensor(role: .beta, tensor: tensor(shape) { Float($0) * 0.02 }),
         NamedTensor(role: .mean, tensor: tensor(shape)),
         NamedTensor(role: .variance, tensor: tensor(shape) { _ in variance })]
    }

    /// input [3, 6, 5] → conv 4 → BN spatial → relu → depthwise ×2 → per-activation BN
    /// [1, 8, 6, 5] → separable 5 → flatten (150) → dense 3 → BN head (β materialised) → softmax.
    static func clean() -> Model {
        let layers = [
            Layer(name: "image", op: .input(shape: [3, 6, 5]), outputShape: [3, 6, 5]),
            Layer(name: "conv", op: .conv2d(Conv2DConfig(filters: 4, kernelSize: [3, 3], padding: [1, 1, 1, 1])), inbound: ["image"],
                  tensors: [NamedTensor(role: .kernel, tensor: tensor([4, 3, 3, 3])), NamedTensor(role: .bias, tensor: tensor([4]))],
                  outputShape: [4, 6, 5]),
            Layer(name: "bn", op: .batchNorm(BatchNormConfig(mode: .spatial, epsilon: 1e-3)), inbound: ["conv"],
                  tensors: batchNorm([1, 4, 1, 1]), outputShape: [4, 6, 5]),
            Layer(name: "relu", op: .activation(.relu), inbound: ["bn"], outputShape: [4, 6, 5]),
            Layer(name: "dw", op: .depthwiseConv2d(DepthwiseConv2DConfig(depthMultiplier: 2, kernelSize: [3, 3], padding: [1, 1, 1, 1])),
                  inbound: ["relu"],
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: tensor([8, 1, 3, 3])), NamedTensor(role: .bias, tensor: tensor([8]))],
                  outputShape: [8, 6, 5]),
            Layer(name: "bn_pa", op: .batchNorm(BatchNormConfig(mode: .perActivation, epsilon: 1e-3)), inbound: ["dw"],
                  tensors: batchNorm([1, 8, 6, 5]), outputShape: [8, 6, 5]),
            Layer(name: "sep", op: .separableConv2d(SeparableConv2DConfig(filters: 5, kernelSize: [3, 3], padding: [1, 1, 1, 1])),
                  inbound: ["bn_pa"],
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: tensor([8, 1, 3, 3])),
                            NamedTensor(role: .pointwiseKernel, tensor: tensor([5, 8, 1, 1])),
                            NamedTensor(role: .bias, tensor: tensor([5]))],
                  outputShape: [5, 6, 5]),
            Layer(name: "flat", op: .flatten, inbound: ["sep"], outputShape: [150]),
            Layer(name: "fc", op: .dense(DenseConfig(units: 3)), inbound: ["flat"],
                  tensors: [NamedTensor(role: .kernel, tensor: tensor([3, 150])), NamedTensor(role: .bias, tensor: tensor([3]))],
                  outputShape: [3]),
            Layer(name: "bn_head", op: .batchNorm(BatchNormConfig(mode: .spatial, epsilon: 1e-3, materialized: [.beta])), inbound: ["fc"],
                  tensors: [NamedTensor(role: .gamma, tensor: tensor([1, 3, 1, 1]) { _ in 2 }),
                            NamedTensor(role: .beta, tensor: tensor([1, 3, 1, 1]) { _ in 0 }),
                            NamedTensor(role: .mean, tensor: tensor([1, 3, 1, 1])),
                            NamedTensor(role: .variance, tensor: tensor([1, 3, 1, 1]) { _ in 0.5 })],
                  outputShape: [3]),
            Layer(name: "out", op: .activation(.softmax(axis: 1)), inbound: ["bn_head"], outputShape: [3]),
        ]
        return Model(name: "validation", inputs: ["image"], outputs: ["out"], layers: layers,
                     provenance: Provenance(sourceFormat: "test"))
    }
}

extension Model {
    /// A copy with `change` applied to the layer called `name`.
    func changing(_ name: String, _ change: (inout Layer) -> Void) -> Model {
        var copy = self
        if let index = copy.layers.firstIndex(where: { $0.name == name }) { change(&copy.layers[index]) }
        return copy
    }
}

extension Layer {
    mutating func set(_ role: TensorRole, _ tensor: Tensor?) {
        tensors.removeAll { $0.role == role }
        if let tensor { tensors.append(NamedTensor(role: role, tensor: tensor)) }
    }

    mutating func setBatchNorm(_ change: (inout BatchNormConfig) -> Void) {
        guard case .batchNorm(var config) = op else { return }
        change(&config)
        op = .batchNorm(config)
    }
}

/// A lazy tensor source whose reads always fail, like an HDF5 dataset on a vanished disk.
struct FailingSource: TensorSource {
    struct Failure: Error, CustomStringConvertible { var description: String { "the disk went away" } }
    let byteCount: Int
    func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws { throw Failure() }
}

struct RuleCase: CustomTestStringConvertible, Sendable {
    var name: String
    var expected: [String]
    var make: @Sendable () -> Model
    var testDescription: String { name }

    init(_ name: String, _ expected: [String], _ make: @escaping @Sendable () -> Model) {
        self.name = name
        self.expected = expected.sorted()
        self.make = make
    }
}

@Suite("Validation: IR rules on hand-made models")
struct ValidationModelRuleTests {
    typealias M = ValidationModels
    static func key(_ finding: Finding) -> String { ExpectedDefect.key(finding) }

    @Test("the clean model is clean for the validator, Model.validate and shape inference alike")
    func clean() throws {
        let model = M.clean()
        try model.validate()
        _ = try ShapeInference.infer(model)
        #expect(Validator.validate(model, file: "m").isEmpty)
    }

    static let cases: [RuleCase] = [
        RuleCase("missing variance", ["BN001 error layer=bn tensor=variance index=-"]) {
            M.clean().changing("bn") { $0.set(.variance, nil) }
        },
        RuleCase("one parameter of another shape", ["BN002 error layer=bn tensor=beta index=-"]) {
            M.clean().changing("bn") { $0.set(.beta, M.tensor([1, 5, 1, 1])) }
        },
        RuleCase("BN size ≠ conv filters", ["BN003 error layer=bn tensor=- index=-"]) {
            M.clean().changing("bn") { $0.tensors = M.batchNorm([1, 5, 1, 1]) }
        },
        RuleCase("per-activation H and W swapped", ["BN004 error layer=bn_pa tensor=- index=-"]) {
            M.clean().changing("bn_pa") { $0.tensors = M.batchNorm([1, 8, 5, 6]) }
        },
        RuleCase("spatial mode with per-activation shapes", ["BN004 error layer=bn tensor=- index=-"]) {
            M.clean().changing("bn") { $0.tensors = M.batchNorm([1, 4, 6, 5]) }
        },
        RuleCase("parameters of rank 1", ["BN004 error layer=bn tensor=- index=-"]) {
            M.clean().changing("bn") { $0.tensors = M.batchNorm([4]) }
        },
        RuleCase("negative variance", ["BN005 error layer=bn tensor=variance index=2"]) {
            M.clean().changing("bn") { $0.set(.variance, try! Tensor(float32: [1, 1, -2, 1], shape: [1, 4, 1, 1])) }
        },
        RuleCase("a NaN variance is BN005, not also VAL001", ["BN005 error layer=bn tensor=variance index=1"]) {
            M.clean().changing("bn") { $0.set(.variance, try! Tensor(float32: [1, .nan, 1, 1], shape: [1, 4, 1, 1])) }
        },
        RuleCase("epsilon 0", ["BN006 error layer=bn tensor=- index=-"]) {
            M.clean().changing("bn") { $0.setBatchNorm { $0.epsilon = 0 } }
        },
        RuleCase("epsilon NaN", ["BN006 error layer=bn tensor=- index=-"]) {
            M.clean().changing("bn") { $0.setBatchNorm { $0.epsilon = .nan } }
        },
        RuleCase("epsilon 1e-6", ["BN007 warning layer=bn tensor=- index=-"]) {
            M.clean().changing("bn") { $0.setBatchNorm { $0.epsilon = 1e-6 } }
        },
        RuleCase("all-zero variance", ["BN008 warning layer=bn tensor=variance index=-"]) {
            M.clean().changing("bn") { $0.set(.variance, M.tensor([1, 4, 1, 1]) { _ in 0 }) }
        },
        RuleCase("materialised beta that is not zero", ["BN009 warning layer=bn_head tensor=beta index=1"]) {
            M.clean().changing("bn_head") { $0.set(.beta, try! Tensor(float32: [0, 0.5, 0], shape: [1, 3, 1, 1])) }
        },
        RuleCase("dangling inbound; later layers are still checked",
                 ["CH001 error layer=relu tensor=- index=-", "BN005 error layer=bn_pa tensor=variance index=0"]) {
            M.clean().changing("relu") { $0.inbound = ["ghost"] }
                .changing("bn_pa") { $0.set(.variance, M.tensor([1, 8, 6, 5]) { _ in -1 }) }
        },
        RuleCase("inbound from a later layer", ["CH001 error layer=relu tensor=- index=-"]) {
            M.clean().changing("relu") { $0.inbound = ["dw"] }
        },
        RuleCase("conv in-channels", ["CH002 error layer=conv tensor=kernel index=-"]) {
            M.clean().changing("conv") { $0.set(.kernel, M.tensor([4, 2, 3, 3])) }
        },
        RuleCase("pointwise in-channels", ["CH002 error layer=sep tensor=pointwise_kernel index=-"]) {
            M.clean().changing("sep") { $0.set(.pointwiseKernel, M.tensor([5, 7, 1, 1])) }
        },
        RuleCase("dense in-features ≠ flattened size", ["CH003 error layer=fc tensor=kernel index=-"]) {
            M.clean().changing("fc") { $0.set(.kernel, M.tensor([3, 149])) }
        },
        RuleCase("depthwise multiplier", ["CH004 error layer=dw tensor=depthwise_kernel index=-"]) {
            M.clean().changing("dw") { $0.set(.depthwiseKernel, M.tensor([12, 1, 3, 3])) }
        },
        RuleCase("missing bias", ["CH005 error layer=conv tensor=bias index=-"]) {
            M.clean().changing("conv") { $0.set(.bias, nil) }
        },
        RuleCase("bias with use_bias false", ["CH006 error layer=conv tensor=bias index=-"]) {
            M.clean().changing("conv") { $0.op = .conv2d(Conv2DConfig(filters: 4, kernelSize: [3, 3], padding: [1, 1, 1, 1], useBias: false)) }
        },
        RuleCase("a weight on a layer without weights", ["CH006 error layer=relu tensor=kernel index=-"]) {
            M.clean().changing("relu") { $0.set(.kernel, M.tensor([2])) }
        },
        RuleCase("dtypes differ within a layer", ["CH007 error layer=conv tensor=bias index=-"]) {
            M.clean().changing("conv") { $0.set(.bias, try! Tensor(values: [Float16](repeating: 0.5, count: 4), shape: [4])) }
        },
        RuleCase("kernel size ≠ configuration", ["CH008 error layer=conv tensor=kernel index=-"]) {
            M.clean().changing("conv") { $0.set(.kernel, M.tensor([4, 3, 5, 5])) }
        },
        RuleCase("bias length", ["CH008 error layer=fc tensor=bias index=-"]) {
            M.clean().changing("fc") { $0.set(.bias, M.tensor([4])) }
        },
        RuleCase("shapes that do not chain; later layers are still checked",
                 ["CH009 error layer=conv tensor=- index=-", "BN005 error layer=bn tensor=variance index=3"]) {
            M.clean().changing("conv") {
                $0.op = .conv2d(Conv2DConfig(filters: 4, kernelSize: [9, 9]))
                $0.set(.kernel, M.tensor([4, 3, 9, 9]))
            }.changing("bn") { $0.set(.variance, try! Tensor(float32: [1, 1, 1, -3], shape: [1, 4, 1, 1])) }
        },
        RuleCase("stale recorded output shape", ["CH009 error layer=relu tensor=- index=-"]) {
            M.clean().changing("relu") { $0.outputShape = [4, 6, 6] }
        },
        RuleCase("duplicate layer name", ["CH010 error layer=relu tensor=- index=-"]) {
            var model = M.clean()
            model.layers.append(Layer(name: "relu", op: .dropout(rate: 0), inbound: ["out"], outputShape: [3]))
            return model
        },
        RuleCase("model output that is not a layer", ["CH010 error layer=nope tensor=- index=-"]) {
            var model = M.clean()
            model.outputs = ["nope"]
            return model
        },
        RuleCase("zero strides", ["CH010 error layer=conv tensor=- index=-"]) {
            M.clean().changing("conv") { $0.op = .conv2d(Conv2DConfig(filters: 4, kernelSize: [3, 3], strides: [0, 1], padding: [1, 1, 1, 1])) }
        },
        RuleCase("integer kernel", ["CH011 error layer=conv tensor=kernel index=-"]) {
            M.clean().changing("conv") { $0.set(.kernel, try! Tensor(values: [Int32](repeating: 1, count: 108), shape: [4, 3, 3, 3])) }
        },
        RuleCase("infinity in a conv kernel, at its OIHW index", ["VAL001 error layer=conv tensor=kernel index=86"]) {
            M.clean().changing("conv") { $0.set(.kernel, M.tensor([4, 3, 3, 3]) { $0 == 86 ? -.infinity : 0.5 }) }
        },
        RuleCase("NaN in an f64 dense kernel", ["VAL001 error layer=fc tensor=kernel index=7", "CH007 error layer=fc tensor=kernel index=-"]) {
            M.clean().changing("fc") {
                $0.set(.kernel, try! Tensor(values: (0..<450).map { $0 == 7 ? Double.nan : 1e300 }, shape: [3, 150]))
            }
        },
        RuleCase("f16 variance + epsilon rounds to 0",
                 ["BN007 warning layer=bn tensor=- index=-", "VAL002 error layer=bn tensor=variance index=1"]) {
            M.clean().changing("bn") {
                $0.setBatchNorm { $0.epsilon = 1e-9 }
                $0.tensors = [TensorRole.gamma, .beta, .mean, .variance].map { role in
                    NamedTensor(role: role, tensor: try! Tensor(values: role == .variance ? [Float16(1), 0, 2, 3] : [Float16](repeating: 1, count: 4),
                                                                shape: [1, 4, 1, 1]))
                }
            }
        },
        RuleCase("a tensor that cannot be read", ["VAL003 error layer=bn tensor=gamma index=-"]) {
            M.clean().changing("bn") { $0.set(.gamma, try! Tensor(dtype: .f32, shape: [1, 4, 1, 1], source: FailingSource(byteCount: 16))) }
        },
    ]

    @Test("each planted defect gives exactly its findings", arguments: cases)
    func rule(_ testCase: RuleCase) {
        let findings = Validator.validate(testCase.make(), file: "model.bnm")
        #expect(findings.map(Self.key).sorted() == testCase.expected,
                "all findings:\n\(findings.map(\.description).joined(separator: "\n"))")
    }

    @Test("every code is documented once, with the severity its family promises")
    func codeTable() {
        #expect(Set(FindingCode.allCases.map(\.rawValue)).count == FindingCode.allCases.count)
        for code in FindingCode.allCases {
            #expect(!code.summary.isEmpty)
            #expect(code.rawValue.range(of: #"^(BN|CH|VAL|FILE)\d{3}$"#, options: .regularExpression) != nil)
        }
        #expect(FindingCode.allCases.filter { $0.severity == .warning } == [.bn007, .bn008, .bn009, .ch012])
    }

    @Test("hostile models never trap: random shapes, configurations and references")
    func hostile() {
        var rng = SeededGenerator(seed: 2026)
        let huge = [Int.max, Int.max / 2, 1 << 62, 0, 1, 2, 3, 7, 150]
        func dim() -> Int { huge.randomElement(using: &rng)! }
        func shape() -> [Int] {
            let rank = Int.random(in: 0...5, using: &rng)
            var dims = (0..<rank).map { _ in Int.random(in: 0...4, using: &rng) }
            // Huge dimensions only next to a zero, so the tensor stays empty and constructible.
            if rank >= 2, Bool.random(using: &rng) { dims[0] = 0; dims[1] = dim() }
            return dims
        }
        func randomTensor() -> Tensor {
            let dims = shape()
            let dtype = DType.allCases.randomElement(using: &rng)!
            let count = dims.contains(0) ? 0 : dims.reduce(1, *)
            let bytes = (0..<(count * dtype.byteSize)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Shapes whose non-zero dimensions overflow cannot be built at all (Tensor refuses
            // them); those fall back to an empty tensor of the same rank-0 kind.
            if let tensor = try? Tensor(dtype: dtype, shape: dims, bytes: bytes) { return tensor }
            return try! Tensor(dtype: dtype, shape: [0], bytes: [])
        }
        let base = M.clean()
        for _ in 0..<400 {
            var model = base
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<model.layers.count, using: &rng)
                switch Int.random(in: 0..<7, using: &rng) {
                case 0: model.layers[index].tensors = model.layers[index].tensors.map { NamedTensor(role: $0.role, tensor: randomTensor()) }
                case 1: model.layers[index].inbound = [["ghost"], [], ["image", "conv"], [model.layers.randomElement(using: &rng)!.name]]
                    .randomElement(using: &rng)!
                case 2: model.layers[index].outputShape = Bool.random(using: &rng) ? nil : [dim(), dim(), dim()]
                case 3: model.layers[index].op = .conv2d(Conv2DConfig(filters: dim(), kernelSize: [dim(), dim()], strides: [dim(), 1],
                                                                    dilation: [dim(), 1], padding: [dim(), dim(), 0, 0]))
                case 4: model.layers[index].op = .depthwiseConv2d(DepthwiseConv2DConfig(depthMultiplier: dim(), kernelSize: [3, 3]))
                case 5: model.layers[index].op = .batchNorm(BatchNormConfig(mode: Bool.random(using: &rng) ? .spatial : .perActivation,
                                                                          epsilon: [0, -1, .nan, .infinity, 1e-300].randomElement(using: &rng)!))
                default: model.layers[index].op = .input(shape: [dim(), dim()])
                }
            }
            _ = Validator.validate(model, file: "hostile")
        }
    }
}
