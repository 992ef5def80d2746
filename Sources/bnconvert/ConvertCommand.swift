import ArgumentParser
import BNModel
import Foundation
import KerasHDF5

/// `bnconvert in.h5 out.bnm`: Keras HDF5 → IR → `.bnm`.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a Keras HDF5 file (full model, tf_keras weights or Keras 3 .weights.h5) to .bnm."
    )

    @Argument(help: "The Keras file to read (.h5, .weights.h5).")
    var input: String

    @Argument(help: "The .bnm file to write (replaced atomically).")
    var output: String

    @Option(name: .long, help: "The architecture JSON (model.to_json()); required for weights-only files.")
    var config: String?

    @Option(name: .long, help: "Per-sample input shape in Keras order, e.g. 32,32,3; overrides the architecture's.")
    var inputShape: String?

    func validate() throws {
        if output.hasSuffix(".h5") && input.hasSuffix(".bnm") {
            throw ValidationError("converting .bnm back to Keras HDF5 is not supported yet; see the README's limits")
        }
        guard output.hasSuffix(".bnm") else {
            throw ValidationError("the output must be a .bnm file (got '\(output)')")
        }
        if let inputShape, parseShape(inputShape) == nil {
            throw ValidationError("--input-shape takes positive integers separated by commas, e.g. 32,32,3 (got '\(inputShape)')")
        }
    }

    func run() throws {
        do {
            let architecture = try config.map { try String(contentsOfFile: $0, encoding: .utf8) }
            let options = KerasImportOptions(architectureJSON: architecture, architectureSource: config ?? "--config",
                                             inputShape: inputShape.flatMap(parseShape))
            let imported = try KerasImporter.read(path: input, options: options)
            imported.warnings.forEach(Console.warning)
            try BNMWriter.write(imported.model, to: output)
            let tensorCount = imported.model.layers.reduce(0) { $0 + $1.tensors.count }
            Console.note("wrote \(output): \(imported.model.layers.count) layers, \(tensorCount) tensors")
        } catch let error as KerasError {
            Console.error(error.description)
            throw ExitStatus.unusableInput
        } catch let error as BNMError {
            Console.error(error.description)
            throw ExitStatus.unusableInput
        } catch let error as CocoaError {
            Console.error("\(config ?? input): \(error.localizedDescription)")
            throw ExitStatus.unusableInput
        }
    }
}

func parseShape(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
    return parts.map { $0! }
}
