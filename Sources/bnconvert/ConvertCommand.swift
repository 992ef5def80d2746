import ArgumentParser
import BNModel
import Foundation
import HDF5
import KerasHDF5

/// `bnconvert in.h5 out.bnm`: Keras HDF5 → IR → `.bnm`.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a Keras HDF5 file (full model, tf_keras weights or Keras 3 .weights.h5) to .bnm, or a .bnm back to Keras.",
        discussion: "A .bnm converted from Keras goes back to the layout it came from: bnconvert model.bnm back.h5."
    )

    @Argument(help: "The file to read: a Keras .h5 / .weights.h5, or a .bnm to convert back.")
    var input: String

    @Argument(help: "The file to write (replaced atomically): .bnm, or .h5 when the input is a .bnm.")
    var output: String

    @Option(name: .long, help: "The architecture JSON (model.to_json()); required for weights-only files.")
    var config: String?

    @Option(name: .long, help: "Per-sample input shape in Keras order, e.g. 32,32,3; overrides the architecture's.")
    var inputShape: String?

    @Flag(name: .long, help: "Write the .bnm even when validation finds errors in the model.")
    var force = false

    private var isReverse: Bool { input.hasSuffix(".bnm") }

    func validate() throws {
        if isReverse {
            guard output.hasSuffix(".h5") else {
                throw ValidationError("a .bnm converts back to Keras HDF5: the output must end in .h5 (got '\(output)')")
            }
            guard config == nil, inputShape == nil else {
                throw ValidationError("--config and --input-shape apply to Keras input files only")
            }
            return
        }
        guard output.hasSuffix(".bnm") else {
            throw ValidationError("the output must be a .bnm file (got '\(output)')")
        }
        if let inputShape, parseShape(inputShape) == nil {
            throw ValidationError("--input-shape takes positive integers separated by commas, e.g. 32,32,3 (got '\(inputShape)')")
        }
    }

    func run() throws {
        try CrashIsolation.isolate(isReverse ? .writing(output) : .reading(input), output: output)
        if isReverse { Console.containBusErrors(reading: input) }
        try reportingErrors(file: input, output: output) {
            if isReverse {
                let model = try BNMFile(path: input).model(verifyChecksums: true)
                try KerasExporter.write(model, to: output)
                Console.note("wrote \(output) (\(model.provenance.sourceFormat) layout, from Keras \(model.provenance.sourceVersion))")
                return
            }
            let architecture = try config.map { try String(contentsOfFile: $0, encoding: .utf8) }
            let options = KerasImportOptions(architectureJSON: architecture, architectureSource: config ?? "--config",
                                             inputShape: inputShape.flatMap(parseShape))
            let inputBytes = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? 0
            let showProgress = Console.standardErrorIsTerminal && inputBytes >= 64 << 20
            let started = Date()
            if showProgress { Console.progress("converting \(input) → \(output): \(humanBytes(inputBytes))…") }
            // Written to a temporary file, validated there (the same checks as `bnconvert
            // validate`), and only then put in place: a model an engine would trip over is not
            // written unless the user insists.
            let conversion = try KerasConverter.convert(input: input, output: output, options: options, force: force)
            if showProgress {
                Console.progress(String(format: "converted %@ in %.1f s", humanBytes(inputBytes), Date().timeIntervalSince(started)), done: true)
            }
            conversion.imported.warnings.forEach(Console.warning)
            conversion.findings.forEach { Console.note("\($0)") }
            let errors = conversion.findings.filter { $0.severity == .error }.count
            guard conversion.written else {
                Console.error("not writing \(output): validation found \(errors) error(s) in the model (listed above); fix the source, or pass --force to write it anyway")
                throw ExitStatus.checkFailed
            }
            if errors > 0 { Console.warning("wrote \(output) despite \(errors) validation error(s) (--force)") }
            let model = conversion.imported.model
            Console.note("wrote \(output): \(model.layers.count) layers, \(model.layers.reduce(0) { $0 + $1.tensors.count }) tensors")
        }
    }
}

func parseShape(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ (1...(1 << 24)).contains($0 ?? 0) }) else { return nil }
    return parts.map { $0! }
}
