import ArgumentParser
import BNConvert
import Foundation

/// `bnconvert in.h5 out.bnm`: Keras HDF5 → IR → `.bnm`, and `bnconvert m.bnm back.h5` the way
/// back; the job (which way, by the input's bytes and the output's name) is the library's.
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

    @Flag(name: .customLong("fold-bn"),
          help: "Fold each batch norm into the conv/dense weights next to it where that is exact (float64, rounded once); the others are kept and listed with the reason. A folded .bnm cannot be converted back to Keras.")
    var foldBN = false

    @Flag(name: .long, help: "Write the .bnm even when validation finds errors in the model.")
    var force = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        // What the input is, its bytes say; the output's name must then ask for a format made
        // from it, or the command line is wrong (exit 64). An input that cannot be read or
        // recognised is not a usage error: run() reports it, naming the file (exit 2).
        var job: ConversionJob?
        do throws(FormatError) {
            job = try ConversionJob(from: input, to: output)
        } catch {
            if case .unsupportedConversion = error { throw ValidationError(error.description) }
        }
        if let job, !job.reader.takesArchitecture {
            guard config == nil, inputShape == nil else {
                throw ValidationError("--config and --input-shape apply to Keras input files only")
            }
            guard !foldBN else { throw ValidationError("--fold-bn applies when converting a Keras file to .bnm") }
            return
        }
        if let inputShape, parseShape(inputShape) == nil {
            throw ValidationError("--input-shape takes positive integers separated by commas, e.g. 32,32,3 (got '\(inputShape)')")
        }
    }

    func run() throws {
        common.apply()
        let files = CommandFiles(input: input, others: config.map { [$0] } ?? [], output: output)
        var architecture: String?
        let job = try reportingErrors(files) {
            try Preflight.readable(input)
            architecture = try config.map(Preflight.configText)
            try Preflight.writable(output)
            return try ConversionJob(from: input, to: output)
        }
        // libhdf5 is on one side of every job: reading a Keras file, or writing one from a
        // .bnm, which is memory-mapped (a fault reading it is one error line, not a crash).
        try CrashIsolation.isolate(job.source.isKeras ? .reading(input) : .writing(output), output: output)
        if job.source == .bnm { Console.containBusErrors(reading: input) }
        let started = Date()
        // Reading a Keras file is counted (libhdf5, read(2)); a .bnm is mapped, and the .h5
        // written from it is about its size.
        let progress = Progress.start("converting", input, counter: job.source.isKeras ? .read : .written)
        defer { progress?.finish() }
        let options = ConversionOptions(
            keras: KerasImportOptions(architectureJSON: architecture, architectureSource: config ?? "--config",
                                      inputShape: inputShape.flatMap(parseShape)),
            force: force, foldBatchNorms: foldBN)
        try reportingErrors(files) {
            let source = try job.read(options: options)
            if job.source == .bnm {
                Console.detail("read \(input): \(source.model.layers.count) layers, checksums verified in \(humanDuration(Date().timeIntervalSince(started)))")
            }
            // A .bnm is streamed to a temporary file while its values are scanned; the model is
            // validated from that scan (the rules of `bnconvert validate`, without reading the
            // file again) and put in place only then: a model an engine would trip over is not
            // written unless the user insists.
            let conversion = try job.write(source, options: options)
            progress?.finish()
            if conversion.format == .bnm {
                try reportWrittenBNM(conversion, elapsed: Date().timeIntervalSince(started))
            } else {
                let model = conversion.source.model
                Console.note("wrote \(output) (\(model.provenance.sourceFormat) layout, from Keras \(model.provenance.sourceVersion))")
                Console.detail("done in \(humanDuration(Date().timeIntervalSince(started)))")
            }
        }
    }

    /// Warnings, findings and what was written (or why not) for a conversion to `.bnm`.
    private func reportWrittenBNM(_ conversion: Conversion, elapsed: TimeInterval) throws {
        conversion.source.warnings.forEach(Console.warning)
        for fold in conversion.folds {
            if let into = fold.foldedInto {
                Console.note("folded batch norm '\(fold.batchNorm)' into '\(into)': \(fold.reason)")
            } else {
                Console.note("kept batch norm '\(fold.batchNorm)': \(fold.reason)")
            }
        }
        let model = conversion.source.model
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

func parseShape(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ (1...(1 << 24)).contains($0 ?? 0) }) else { return nil }
    return parts.map { $0! }
}
