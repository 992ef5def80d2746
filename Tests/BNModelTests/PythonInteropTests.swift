import Foundation
import Testing
@testable import BNModel

/// The format as others see it: a numpy reader written from docs/FORMAT.md alone, and Python's
/// jsonschema checking our manifests against schemas/bnm.schema.json.
@Suite("Python interoperability")
struct PythonInteropTests {
    @Test("scripts/bnm_numpy.py returns every tensor of a Swift-written file byte for byte",
          arguments: [nil, 3, 11, 20] as [UInt64?])
    func numpyReader(seed: UInt64?) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let model = seed.map(TestModels.random(seed:)) ?? TestModels.handMade()
        let path = folder.path("model.bnm")
        try BNMWriter.write(model, to: path)
        let result = try Python.run(["scripts/bnm_numpy.py", path])
        try #require(result.status == 0, "bnm_numpy.py failed: \(result.stderr)")
        let numpyDType: [DType: String] = [.f16: "<f2", .bf16: "<u2", .f32: "<f4", .f64: "<f8",
                                           .i8: "|i1", .i16: "<i2", .i32: "<i4", .i64: "<i8", .u8: "|u1"]
        var seen: [String: (String, [Int], String)] = [:]
        for line in result.stdout.split(separator: "\n") {
            let fields = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Any])
            let name = try #require(fields[0] as? String)
            seen[name] = (try #require(fields[1] as? String), try #require(fields[2] as? [Int]), try #require(fields[3] as? String))
        }
        let file = try BNMFile(path: path)
        #expect(seen.count == file.manifest.tensors.count)
        var index = 0
        for layer in model.layers {
            for named in layer.tensors {
                let entry = file.manifest.tensors[index]
                index += 1
                let (dtype, shape, hex) = try #require(seen[entry.name], "numpy reader lost \(entry.name)")
                #expect(dtype == numpyDType[named.tensor.dtype], "\(entry.name)")
                #expect(shape == named.tensor.shape, "\(entry.name)")
                let expected = try named.tensor.bytes().map { String(format: "%02x", $0) }.joined()
                #expect(hex == expected, "\(entry.name): bytes differ")
            }
        }
    }

    @Test("Python jsonschema accepts every manifest we write (draft 2020-12)")
    func schemaAcceptsManifests() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var manifests: [String] = []
        for (index, model) in ([TestModels.handMade()] + (0..<40).map { TestModels.random(seed: $0) }).enumerated() {
            let path = folder.path("m\(index).bnm")
            try BNMWriter.write(model, to: path)
            let manifestPath = folder.path("m\(index).json")
            try BNMFile(path: path).manifestText.write(toFile: manifestPath, atomically: false, encoding: .utf8)
            manifests.append(manifestPath)
        }
        let result = try Python.run(["scripts/check_manifest_schema.py"] + manifests)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("Python jsonschema rejects a manifest that breaks the schema")
    func schemaRejectsBadManifest() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("m.bnm")
        try BNMWriter.write(TestModels.handMade(), to: path)
        let bad = try BNMFile(path: path).manifestText.replacingOccurrences(of: "\"dtype\":\"f32\"", with: "\"dtype\":\"f8\"")
        let manifestPath = folder.path("bad.json")
        try bad.write(toFile: manifestPath, atomically: false, encoding: .utf8)
        let result = try Python.run(["scripts/check_manifest_schema.py", manifestPath])
        #expect(result.status == 1)
        #expect(result.stdout.contains("dtype"))
    }
}
