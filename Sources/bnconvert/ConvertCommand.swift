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

    @OptionGroup var common: CommonOptions

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
        common.apply()
        let files = CommandFiles(input: input, others: config.map { [$0] } ?? [], output: output)
        var architecture: String?
        try reportingErrors(files) {
            try Preflight.readable(input)
            architecture = try config.map(Preflight.configText)
            try Preflight.writable(output)
        }
        try CrashIsolation.isolate(isReverse ? .writing(output) : .reading(input), output: output)
        if isReverse { Console.containBusErrors(reading: input) }
        let started = Date()
        // The forward conversion reads the Keras file once (libhdf5, read(2)); the reverse one
        // maps the .bnm and writes an .h5 of about its size.
        let progress = Progress.start("converting", input, counter: isReverse ? .written : .read)
        defer { progress?.finish() }
        try reportingErrors(files) {
            if isReverse {
                let model = try BNMFile(path: input).model(verifyChecksums: true)
                Console.detail("read \(input): \(model.layers.count) layers, checksums verified in \(humanDuration(Date().timeIntervalSince(started)))")
                try KerasExporter.write(model, to: output)
                progress?.finish()
                Console.note("wrote \(output) (\(model.provenance.sourceFormat) layout, from Keras \(model.provenance.sourceVersion))")
                Console.detail("done in \(humanDuration(Date().timeIntervalSince(started)))")
                return
            }
            let options = KerasImportOptions(architectureJSON: architecture, architectureSource: config ?? "--config",
                                             inputShape: inputShape.flatMap(parseShape))
            // Written to a temporary file, validated there (the same checks as `bnconvert
            // validate`), and only then put in place: a model an engine would trip over is not
            // written unless the user insists.
            let conversion = try KerasConverter.convert(input: input, output: output, options: options, force: force)
            progress?.finish()
            let elapsed = Date().timeIntervalSince(started)
            conversion.imported.warnings.forEach(Console.warning)
            let model = conversion.imported.model
            if Console.verbosity >= .verbose {
                for layer in model.layers {
                    Console.detail(layerLine(name: layer.name, op: layer.op, inbound: layer.inbound, outputShape: layer.outputShape))
                }
            }
            // Errors explain a refusal, so they are listed even with --quiet.
            for finding in conversion.findings {
                if finding.severity == .error, !conversion.written { Console.write("\(finding)\n") } else { Console.note("\(finding)") }
            }
            let errors = conversion.findings.filter { $0.severity == .error }.count
            guard conversion.written else {
                Console.error("not writing \(output): validation found \(errors) error(s) in the model (listed above); fix the source, or pass --force to write it anyway")
                throw ExitStatus.checkFailed
            }
            if errors > 0 { Console.warning("wrote \(output) despite \(errors) validation error(s) (--force)") }
            Console.note("wrote \(output): \(model.layers.count) layers, \(model.layers.reduce(0) { $0 + $1.tensors.count }) tensors")
            let bytes = model.layers.reduce(0) { $0 + $1.tensors.reduce(0) { $0 + $1.tensor.byteCount } }
            Console.detail("read, validated and wrote \(humanBytes(bytes)) of tensors in \(humanDuration(elapsed))"
                + (elapsed > 0 ? " (\(humanBytes(Int(Double(bytes) / elapsed)))/s)" : ""))
        }
    }
}

func parseShape(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ (1...(1 << 24)).contains($0 ?? 0) }) else { return nil }
    return parts.map { $0! }
}
