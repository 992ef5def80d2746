// Target 5: Keras architecture JSON → IR, and on to a `.bnm` and back.
//
// `KerasArchitecture(json:source:)` is the only public entry that reads a config alone; the
// graph building (`GraphBuilder`, internal) needs a Keras file for the weights. So the config
// is also given, as `--config` would give it, to `KerasConverter.convert` with one of the
// fixture HDF5 files: the mutated architecture then drives the whole importer (layer mapping,
// layouts, shape tracking, weight matching) against real weights. A conversion that writes a
// file continues as the command line would: open and validate the `.bnm`, a reference pass on
// a small batch, and the reverse export to Keras.
//
// Input: byte 0 picks the fixture file (`pairs`), byte 1 an input-shape override (0: none),
// the rest is the architecture JSON.
import BNModel
import FuzzSupport
import KerasHDF5

/// Fixture HDF5 files a config can be paired with (the seeds use these indices; append only).
let pairs: [String] = [
    "conv_bn_relu.h5",                          // 0  keras3 full model
    "keras3_weights_with_config.weights.h5",    // 1  keras3 .weights.h5 (positional)
    "per_activation_bn.h5",                     // 2  tf_keras save_weights
    "center_scale_false.weights.h5",            // 3
    "bfloat16_weights.weights.h5",              // 4
    "normalization_input.weights.h5",           // 5
    "avgpool_leaky_dropout_reshape.h5",         // 6
    "bn_after_flatten.h5",                      // 7
    "channels_first.h5",                        // 8
    "channels_first_flatten_default.h5",        // 9
    "concat_flattened.h5",                      // 10
    "flatten_dense_bn_head.h5",                 // 11
    "flatten_output.h5",                        // 12
    "per_activation_bn_full.h5",                // 13
    "rescale_squeeze_excite.h5",                // 14
    "residual_depthwise.h5",                    // 15
    "two_outputs.h5",                           // 16
    "upsample_crop_unet.h5",                    // 17
    "center_scale_false.h5",                    // 18
    "nested_tfkeras.h5",                        // 19
]

let inputShapes: [[Int]] = [[6, 5, 3], [3, 6, 5], [1, 1, 1], [0, 5, 3], [8, 8, 3], [2, 2], [7, 7, 3, 1], [64, 64, 1]]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes.dropFirst(2), as: UTF8.self)
    // The config alone.
    do {
        let architecture = try KerasArchitecture(json: text, source: "<fuzz>")
        _ = architecture.layers.map { ($0.keras3Key, $0.inbound.count) }
    } catch {
        _ = "\(error)"
        return 0
    }
    // The config driving an import of real weights.
    defer { FuzzSupport.clearScratch() }
    let h5 = "\(FuzzSupport.kerasFixtures)/\(pairs[Int(bytes[0]) % pairs.count])"
    let shape = bytes[1] == 0 ? nil : inputShapes[Int(bytes[1]) % inputShapes.count]
    let options = KerasImportOptions(architectureJSON: text, architectureSource: "<fuzz>", inputShape: shape)
    let output = "\(FuzzSupport.scratch)/out.bnm"
    do {
        let conversion = try KerasConverter.convert(input: h5, output: output, options: options, force: true)
        _ = conversion.findings.map(\.description)
        _ = conversion.imported.warnings.count
        guard conversion.written else { return 0 }
        let file = try BNMFile(path: output)
        try file.validate()
        let model = try file.model()
        FuzzSupport.runReference(model)
        try KerasExporter.write(model, to: "\(FuzzSupport.scratch)/back.h5")
    } catch {
        _ = "\(error)"
    }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    Mutators.mutatePrefixedJSON(data, size: size, maxSize: maxSize, seed: seed, prefixLength: 2, structuredPercent: 60)
}
