import ArgumentParser
import BNConvert
import Foundation

/// `bnconvert verify out.bnm --input x.npy --expect y.npy`: the parity check. Runs the
/// reference forward pass over the file's native tensors on the batch Keras was given and
/// compares with what Keras' `predict` returned.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove a .bnm against Keras' own predictions (numpy allclose: |a − b| ≤ atol + rtol·|b|).",
        discussion: "Exit 0 when every element is within tolerance, 1 when any is not (or is NaN), 2 when an input is unusable. Writes no file."
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

    @Flag(name: .long, help: "Print the result as JSON ({\"passed\", \"outputs\": [...]}); an unusable input as {\"error\": {\"code\", \"file\", \"message\"}}.")
    var json = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard rtol >= 0, atol >= 0, rtol.isFinite, atol.isFinite else {
            throw ValidationError("--rtol and --atol must be finite and non-negative")
        }
    }

    /// One output's verdict.
    struct OutputResult {
        var output: String
        var comparison: Comparison
        /// The `--expect` file for this output.
        var expectedFile: String
        var shape: [Int]
        /// NaN (or infinite) values the model computed: how many, and the first one's flat index.
        var computedNonFinite: (count: Int, first: Int, anyInfinite: Bool)?
        /// NaN values in the expected array.
        var expectedNaN: (count: Int, first: Int)?
    }

    func run() throws {
        common.apply()
        let files = CommandFiles(input: model, others: input + expect)
        try reportingErrors(files, json: json) {
            try ([model] + input + expect).forEach(Preflight.readable)
            // A Keras file given here is named as one, with what to do.
            _ = try ModelFormat.detect(path: model, accepting: [.bnm])
        }
        Console.containBusErrors(reading: model)
        let progress = Progress.start("verifying", model, counter: .elapsed)
        defer { progress?.finish() }
        var results: [OutputResult] = []
        try reportingErrors(files, json: json) {
            var started = Date()
            let loaded = try BNMFile(path: model).model(verifyChecksums: true)
            Console.detail("read \(model) and verified its checksums in \(humanDuration(Date().timeIntervalSince(started)))")
            let inputs = try input.map { try NPY.read($0) }
            let expected = try expect.map { try NPY.read($0) }
            started = Date()
            let compared = try KerasParity.compare(model: loaded, kerasInputs: inputs, kerasExpected: expected, rtol: rtol, atol: atol)
            Console.detail("ran the reference forward pass and compared in \(humanDuration(Date().timeIntervalSince(started)))")
            results = zip(compared, zip(expect, expected)).map { pair, file in
                OutputResult(output: pair.output, comparison: pair.comparison, expectedFile: file.0, shape: file.1.shape,
                             expectedNaN: Self.firstNaN(file.1.values))
            }
            // A comparison counts NaN as a violation without saying which side it is on. Which
            // values the model computed as NaN or infinite comes from a second comparison, with
            // zeros as the expectation and a tolerance no finite value exceeds. It costs another
            // forward pass, so it runs only when something failed.
            guard results.contains(where: { !$0.comparison.passed }) else { return }
            let zeros = expected.map { NDArray(shape: $0.shape, values: [Float](repeating: 0, count: $0.values.count)) }
            let probe = try KerasParity.compare(model: loaded, kerasInputs: inputs, kerasExpected: zeros,
                                                rtol: 0, atol: .greatestFiniteMagnitude)
            for (index, (_, comparison)) in probe.enumerated() where comparison.violationCount > 0 {
                results[index].computedNonFinite = (comparison.violationCount, comparison.worstViolationIndex ?? 0,
                                                    comparison.worstAbsoluteError.isInfinite)
            }
        }
        progress?.finish()
        let passed = results.allSatisfy { $0.comparison.passed }
        if json {
            printJSON(results, passed: passed)
        } else {
            results.forEach(printText)
            if passed { print("PASS: every value is within tolerance") }
        }
        guard passed else { throw ExitStatus.checkFailed }
    }

    private func printText(_ result: OutputResult) {
        let comparison = result.comparison
        let nonFinite = (result.computedNonFinite?.count ?? 0) + (result.expectedNaN?.count ?? 0)
        // When every value is NaN there is no error to speak of: "worst error 0.0" would mislead.
        if nonFinite < comparison.count {
            print("output \(result.output): \(comparison.count) values, worst absolute error \(comparison.worstAbsoluteError), "
                + "worst relative error \(comparison.worstRelativeError) (rtol \(rtol), atol \(atol))")
        }
        if let computed = result.computedNonFinite {
            let what = computed.anyInfinite ? "NaN or infinite" : "NaN"
            print("FAIL: output \(result.output) is \(what) at \(position(computed.first, in: result.shape)): "
                + "\(computed.count) of \(comparison.count) values are \(what) (the model computes them; "
                + "bnconvert validate \(model) looks for NaN weights and negative variances)")
        }
        if let expected = result.expectedNaN {
            print("FAIL: the expected values for output \(result.output) (\(result.expectedFile)) are NaN at "
                + "\(position(expected.first, in: result.shape)): \(expected.count) of \(comparison.count) values")
        }
        if !comparison.passed, comparison.violationCount > nonFinite {
            print("FAIL: output \(result.output): \(comparison.violationCount - nonFinite) of \(comparison.count) values are out of tolerance"
                + (nonFinite == 0 ? (comparison.worstViolationIndex.map { ", worst at flat index \($0)" } ?? "") : ""))
        }
    }

    private func printJSON(_ results: [OutputResult], passed: Bool) {
        func number(_ value: Double) -> Any { value.isFinite ? value : (value.isNaN ? "nan" : value > 0 ? "inf" : "-inf") }
        let outputs: [[String: Any]] = results.map { result in
            let comparison = result.comparison
            return [
                "output": result.output, "expected_file": result.expectedFile, "passed": comparison.passed,
                "count": comparison.count, "violations": comparison.violationCount,
                "worst_absolute_error": number(comparison.worstAbsoluteError),
                "worst_relative_error": number(comparison.worstRelativeError),
                "worst_index": comparison.worstViolationIndex.map { $0 as Any } ?? NSNull(),
                "computed_non_finite_count": result.computedNonFinite?.count ?? 0,
                "computed_non_finite_first_index": result.computedNonFinite.map { $0.first as Any } ?? NSNull(),
                "expected_nan_count": result.expectedNaN?.count ?? 0,
            ]
        }
        let object: [String: Any] = ["passed": passed, "rtol": rtol, "atol": atol, "outputs": outputs]
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// `[0, 2, 1, 5] (flat index 47)`: coordinates in the array as Keras lays it out.
    private func position(_ flat: Int, in shape: [Int]) -> String {
        var coordinates: [Int] = []
        var rest = flat
        for size in shape.reversed() where size > 0 {
            coordinates.insert(rest % size, at: 0)
            rest /= size
        }
        return coordinates.count == shape.count ? "\(coordinates) (flat index \(flat))" : "flat index \(flat)"
    }

    private static func firstNaN(_ values: [Float]) -> (count: Int, first: Int)? {
        var count = 0
        var first = 0
        for (index, value) in values.enumerated() where value.isNaN {
            if count == 0 { first = index }
            count += 1
        }
        return count == 0 ? nil : (count, first)
    }
}
