import ArgumentParser
import BNModel
import Foundation
import KerasHDF5

/// `bnconvert verify out.bnm --input x.npy --expect y.npy`: the parity check. Runs the
/// reference forward pass over the file's native tensors on the batch Keras was given and
/// compares with what Keras' `predict` returned.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove a .bnm against Keras' own predictions (numpy allclose: |a − b| ≤ atol + rtol·|b|).",
        discussion: "Exit 0 when every element is within tolerance, 1 when any is not, 2 when an input is unusable."
    )

    @Argument(help: "The converted .bnm file.")
    var model: String

    @Option(name: .long, help: "The input batch as Keras takes it (.npy; NHWC for a channels_last model); once per model input, in order.")
    var input: [String]

    @Option(name: .long, help: "What Keras' predict returned for that batch (.npy); once per model output, in order.")
    var expect: [String]

    @Option(name: .long, help: "Relative tolerance.")
    var rtol: Double = 1e-4

    @Option(name: .long, help: "Absolute tolerance.")
    var atol: Double = 1e-5

    func validate() throws {
        guard rtol >= 0, atol >= 0, rtol.isFinite, atol.isFinite else {
            throw ValidationError("--rtol and --atol must be finite and non-negative")
        }
    }

    func run() throws {
        var results: [(output: String, comparison: Comparison)] = []
        Console.containBusErrors(reading: model)
        try reportingErrors(file: model) {
            let loaded = try BNMFile(path: model).model(verifyChecksums: true)
            results = try KerasParity.compare(model: loaded, kerasInputs: try input.map { try NPY.read($0) },
                                              kerasExpected: try expect.map { try NPY.read($0) }, rtol: rtol, atol: atol)
        }
        for (output, comparison) in results {
            print("output \(output): \(comparison.count) values, worst absolute error \(comparison.worstAbsoluteError), "
                + "worst relative error \(comparison.worstRelativeError) (rtol \(rtol), atol \(atol))")
            if !comparison.passed {
                print("FAIL: output \(output): \(comparison.violationCount) of \(comparison.count) values are out of tolerance"
                    + (comparison.worstViolationIndex.map { ", worst at flat index \($0)" } ?? ""))
            }
        }
        guard results.allSatisfy({ $0.comparison.passed }) else { throw ExitStatus.checkFailed }
        print("PASS: every value is within tolerance")
    }
}
