import ArgumentParser
import BNConvert
import Foundation

/// `bnconvert validate FILE`: schema and consistency checks on a `.bnm` or a Keras `.h5`,
/// with findings a person can act on (severity, stable code, location, message, hint).
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a .bnm or Keras .h5 for defects an engine would trip over (BN statistics, shapes along the chain, values, file integrity).",
        discussion: "Exit 0 when clean, 1 when errors were found (or warnings, with --strict), 2 when the file cannot be used at all."
    )

    @Argument(help: "A .bnm or Keras .h5 file.")
    var file: String

    @Flag(name: .long, help: "Print the findings as a JSON array; an unusable file as an error object {\"error\": {\"code\", \"file\", \"message\"}}.")
    var json = false

    @Flag(name: .long, help: "Treat warnings as failures (exit 1).")
    var strict = false

    @Option(name: .long, help: "Architecture JSON for a weights-only Keras file.")
    var config: String?

    @OptionGroup var common: CommonOptions

    func run() throws {
        common.apply()
        let files = CommandFiles(input: file, others: config.map { [$0] } ?? [])
        var architecture: String?
        let format = try reportingErrors(files, json: json) {
            try Preflight.readable(file)
            architecture = try config.map(Preflight.configText)
            return try ModelFormat.detect(path: file, accepting: FormatTable.readable)
        }
        let bnm = format == .bnm
        if bnm { Console.containBusErrors(reading: file) } else { try CrashIsolation.isolate(.reading(file), json: json) }
        let started = Date()
        // A .bnm is memory-mapped (no read(2) to count) and checked at gigabytes a second.
        let progress = Progress.start("validating", file, counter: bnm ? .elapsed : .read)
        defer { progress?.finish() }
        var result: (findings: [Finding], unusable: String?) = ([], nil)
        let options = KerasImportOptions(architectureJSON: architecture, architectureSource: config ?? "--config")
        try reportingErrors(files, json: json) {
            if bnm {
                result = Validator.validateFile(bnmPath: file) { model in exportFindings(model) }
            } else {
                result = KerasValidation.validate(path: file, options: options)
            }
            if let unusable = result.unusable {
                // The validators give the reason as text; the typed error (for the stable code)
                // comes from opening the file the way the other commands do, which fails the same way.
                do {
                    if bnm { _ = try BNMFile(path: file) } else { _ = try KerasImporter.read(path: file, options: options) }
                } catch {
                    throw Failure(classifying: error, files: files)
                }
                throw Unusable(text: unusable)
            }
        }
        progress?.finish()
        Console.detail("validated \(file) in \(humanDuration(Date().timeIntervalSince(started)))")
        let findings = result.findings
        if json {
            print(Finding.jsonText(findings))
        } else {
            findings.forEach { print($0) }
            let errors = findings.filter { $0.severity == .error }.count
            print(findings.isEmpty ? "\(file): no findings" : "\(file): \(errors) error(s), \(findings.count - errors) warning(s)")
        }
        let status = Finding.exitStatus(findings, strict: strict)
        if status != 0 { throw ExitCode(status) }
    }

    /// A validator's reason for refusing the file, as text.
    private struct Unusable: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }

    /// What the reverse conversion would trip over in a `.bnm` that came from Keras.
    private func exportFindings(_ model: Model) -> [Finding] {
        guard KerasProvenance.isRecorded(in: model.provenance) else { return [] }
        do {
            try KerasExporter.checkProvenance(model)
            return []
        } catch {
            return [Finding(.file005, .init(file: file), message: "the Keras provenance cannot be converted back: \(error)",
                            hint: "convert the Keras file again; this .bnm's reverse conversion would fail")]
        }
    }
}
