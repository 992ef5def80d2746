import BNModel
import Foundation
@testable import KerasHDF5
import Testing

/// The table of Keras layer mappers: one mapper per class, every mapped class documented, and
/// what becomes of a class the table does not list.
@Suite struct MapperTableTests {
    @Test func everyClassHasOneMapper() {
        let names = KerasMappers.all.flatMap(\.classNames)
        let repeated = Dictionary(grouping: names, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        #expect(repeated.isEmpty, "listed by more than one mapper: \(repeated)")
        #expect(KerasMappers.registry.count == names.count)
    }

    /// The README's "Supported layers" names every class the table maps (the Lambda mapper
    /// only refuses), so the list a user reads cannot fall behind the code.
    @Test func readmeListsEveryMappedClass() throws {
        let readme = try String(contentsOf: Paths.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "### Supported layers"))
        let rest = readme[start.upperBound...]
        let section = rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)]
        let words = Set(section.split { !$0.isLetter && !$0.isNumber }.map(String.init))
        let missing = KerasMappers.all.filter { !($0 is LambdaMapper) }.flatMap(\.classNames).filter { !words.contains($0) }
        #expect(missing.isEmpty, "README.md's Supported layers does not name \(missing)")
    }

    /// conv_bn_relu's architecture with one layer's class renamed.
    static func importRenaming(_ className: String, to replacement: String) throws -> KerasImport {
        let original = "\"class_name\": \"\(className)\""
        let config = try String(contentsOfFile: KerasFixture.path("conv_bn_relu.config.json"), encoding: .utf8)
        #expect(config.contains(original), "the fixture no longer holds \(original)")
        let renamed = config.replacingOccurrences(of: original, with: "\"class_name\": \"\(replacement)\"")
        return try KerasImporter.read(path: KerasFixture.path("conv_bn_relu.h5"), options: KerasImportOptions(architectureJSON: renamed))
    }

    @Test func lambdaIsRefusedAsCode() throws {
        #expect(throws: KerasError.unsupportedLayer(
            layer: "relu", className: "Lambda",
            detail: "Lambda layers hold code, which is never evaluated; replace it with a supported layer")) {
            try Self.importRenaming("ReLU", to: "Lambda")
        }
    }

    @Test func unknownClassWithoutWeightsIsRefused() throws {
        #expect(throws: KerasError.unsupportedLayer(layer: "relu", className: "MadeUpLayer", detail: "this layer type is not supported")) {
            try Self.importRenaming("ReLU", to: "MadeUpLayer")
        }
    }

    /// A class the table does not know that has weights is carried over verbatim, with a warning.
    @Test func unknownClassWithWeightsIsCarriedUnmapped() throws {
        let imported = try Self.importRenaming("Dense", to: "MadeUpDense")
        let layer = try #require(imported.model.layer(named: "dense"))
        guard case let .unmapped(className, _) = layer.op else {
            Issue.record("dense became \(layer.op), not unmapped")
            return
        }
        #expect(className == "MadeUpDense")
        #expect(layer.tensors.map(\.role.rawValue).sorted() == ["bias", "kernel"])
        #expect(imported.warnings.contains {
            $0 == "layer 'dense' (MadeUpDense) is not supported: carried over unmapped with its 2 weight(s); an engine cannot run it"
        }, "\(imported.warnings)")
    }
}
