import BNConvert
import Foundation
import Testing

/// `convert(from:to:options:)` is the command line's whole job, in both directions: the same
/// bytes as the Keras converter and exporter write, the same refusals, and every route it does
/// not offer refused before anything is read or written.
@Suite struct ConversionTests {
    @Test("Keras → .bnm → Keras, through the library call alone")
    func bothDirections() throws {
        try Files.withFolder { folder in
            let keras = Files.fixture("flatten_dense_bn_head.h5")
            let bnm = folder.appendingPathComponent("m.bnm").path
            let forward = try convert(from: keras, to: bnm)
            #expect(forward.source.format == .kerasHDF5 && forward.format == .bnm && forward.written)
            #expect(forward.source.kerasImport?.kind == .fullModel)
            #expect(forward.findings.filter { $0.severity == .error }.isEmpty)
            // The bytes the Keras converter writes on its own.
            let reference = folder.appendingPathComponent("reference.bnm").path
            #expect(try KerasConverter.convert(input: keras, output: reference).written)
            #expect(try Files.bytes(bnm) == Files.bytes(reference))

            let back = folder.appendingPathComponent("back.h5").path
            let reverse = try convert(from: bnm, to: back)
            #expect(reverse.source.format == .bnm && reverse.format == .kerasHDF5 && reverse.written && reverse.findings.isEmpty)
            #expect(reverse.source.model.layers.count == forward.source.model.layers.count)
            let exported = folder.appendingPathComponent("exported.h5").path
            try KerasExporter.write(try BNMFile(path: bnm).model(verifyChecksums: true), to: exported)
            #expect(try Files.bytes(back) == Files.bytes(exported))
            // What came back reads as the model that went out.
            let again = try KerasImporter.read(path: back).model
            #expect(again.layers.map(\.name) == forward.source.model.layers.map(\.name))
            for (layer, original) in zip(again.layers, forward.source.model.layers) {
                for (tensor, expected) in zip(layer.tensors, original.tensors) {
                    #expect(try tensor.tensor.floats() == expected.tensor.floats(), "\(layer.name) \(tensor.role)")
                }
            }
        }
    }

    @Test("a weights-only file takes its architecture through the options; a model with errors is written only when forced")
    func options() throws {
        try Files.withFolder { folder in
            let weights = Files.fixture("per_activation_bn.h5")
            let bnm = folder.appendingPathComponent("m.bnm").path
            #expect(throws: KerasError.architectureRequired(file: weights)) { try convert(from: weights, to: bnm) }
            let architecture = try String(contentsOfFile: Files.fixture("per_activation_bn.config.json"), encoding: .utf8)
            let options = ConversionOptions(keras: KerasImportOptions(architectureJSON: architecture, architectureSource: "config.json"))
            #expect(try convert(from: weights, to: bnm, options: options).written)

            let defect = Files.fixture("defects/nan_gamma.h5")
            let refused = try convert(from: defect, to: folder.appendingPathComponent("defect.bnm").path)
            #expect(!refused.written && refused.findings.contains { $0.severity == .error })
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("defect.bnm").path))
            #expect(try convert(from: defect, to: folder.appendingPathComponent("defect.bnm").path, options: ConversionOptions(force: true)).written)
        }
    }

    @Test("the job is decided before anything is read: by the input's bytes and the output's name")
    func jobs() throws {
        let keras = Files.fixture("conv_bn_relu.keras")
        let job = try ConversionJob(from: keras, to: "/nonexistent/m.bnm")
        #expect(job.source == .kerasArchive && job.destination == .bnm && job.reader.takesArchitecture)
        #expect(FormatTable.readable == [.bnm, .kerasHDF5, .kerasArchive])
        #expect(FormatTable.writers[.kerasArchive]?.sources == [.bnm])
        #expect(FormatTable.writers[.bnm]?.sources == [.kerasHDF5, .kerasArchive])
        #expect(FormatTable.writers[.kerasHDF5]?.sources == [.bnm])
    }

    @Test("routes the table does not offer are refused with the command line's sentences, writing nothing")
    func refusedRoutes() throws {
        try Files.withFolder { folder in
            let keras = Files.fixture("conv_bn_relu.h5")
            let bnm = folder.appendingPathComponent("m.bnm").path
            try convert(from: keras, to: bnm)
            let refusals: [(input: String, output: String, message: String)] = [
                (keras, "out.txt", "the output must be a .bnm file (got 'out.txt')"),
                (keras, "again.h5", "the output must be a .bnm file (got 'again.h5')"),
                (bnm, "copy.bnm", "a .bnm converts back to Keras: the output must end in .h5 or .keras (got 'copy.bnm')"),
                (bnm, "back.txt", "a .bnm converts back to Keras: the output must end in .h5 or .keras (got 'back.txt')"),
            ]
            for (input, output, message) in refusals {
                let path = folder.appendingPathComponent(output).path
                let error = Files.formatError { () throws(FormatError) in try ConversionJob(from: input, to: path) }
                #expect(error == .unsupportedConversion(input: input, from: ModelFormat(fileName: input)!, output: path))
                #expect(error?.description == message.replacingOccurrences(of: "'\(output)'", with: "'\(path)'"))
                #expect(throws: FormatError.self) { try convert(from: input, to: path) }
            }
            // When the name said otherwise, the refusal says what the bytes are.
            let disguised = try Files.write(try Files.bytes(bnm), "model.h5", in: folder)
            let path = folder.appendingPathComponent("model.bnm").path
            #expect(Files.formatError { () throws(FormatError) in try ConversionJob(from: disguised, to: path) }?.description
                == "a .bnm converts back to Keras: the output must end in .h5 or .keras (got '\(path)'); \(disguised) is a .bnm file by its contents, whatever its name")
            // An architecture given for a .bnm would be ignored: refused instead.
            let options = ConversionOptions(keras: KerasImportOptions(inputShape: [8, 8, 3]))
            #expect(throws: FormatError.optionsNotApplicable(input: bnm, format: .bnm)) {
                try convert(from: bnm, to: folder.appendingPathComponent("back.h5").path, options: options)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["m.bnm", "model.h5"])
        }
    }
}
