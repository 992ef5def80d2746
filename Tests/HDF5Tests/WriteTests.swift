import Foundation
import HDF5
import JSONSchema
import Testing

/// Files the Swift layer writes are read back identically by h5py.
@Suite struct WriteTests {
    /// Writes one of everything Keras files use, in both directions of the converter.
    static func writeSample(to path: String) throws {
        try HDF5File.writeAtomically(to: path) { root in
            try root.writeAttribute("backend", string: "tensorflow", encoding: .variableUTF8)
            try root.writeAttribute("layer_names", strings: ["conv", "bn", "dense"], encoding: .variableASCII)
            try root.writeAttribute("fixed_names", strings: ["a", "bcd"], encoding: StringEncoding(length: .fixed(3), charset: .ascii))
            try root.writeAttribute("weight_names", type: .float64, shape: [0], value: .floats([]))
            try root.writeAttribute("epsilon", type: .float32, shape: [], value: .floats([0.001]))
            try root.writeAttribute("sizes", type: .int64, shape: [3], value: .integers([1, -2, 3]))
            let weights = try root.createGroup("weights", trackCreationOrder: true)
            try weights.writeDataset("zeta", values: [Float(1.5), -0.0, .infinity, .nan], shape: [2, 2])
            try weights.writeDataset("alpha", values: (0..<24).map { Double($0) / 7 }, shape: [2, 3, 2, 2])
            try weights.writeDataset("half", values: [Float16(0.5), -2, 65504], shape: [3])
            try weights.writeDataset("i8", values: [Int8.min, 0, .max], shape: [3])
            try weights.writeDataset("i16", values: [Int16.min, .max], shape: [2])
            try weights.writeDataset("i32", values: [Int32(7)], shape: [])
            try weights.writeDataset("i64", values: [Int64.min, .max], shape: [2])
            try weights.writeDataset("u8", values: [UInt8(0), 255], shape: [2])
            let chunked = try weights.createDataset("chunked", type: .float32, shape: [6, 5], chunks: [4, 2], gzipLevel: 4)
            // Written in two slabs, the way a streaming writer fills a large tensor.
            let values = (0..<30).map { Float($0) * 0.25 }
            try values[0..<15].withUnsafeBytes { try chunked.writeSlab(start: [0, 0], count: [3, 5], bytes: $0) }
            try values[15..<30].withUnsafeBytes { try chunked.writeSlab(start: [3, 0], count: [3, 5], bytes: $0) }
            let named = try root.createGroup("ünïcødé")
            try named.writeDataset("ß", values: [Float(1), 2], shape: [2])
            try named.writeAttribute("été", type: .int32, shape: [], value: .integers([5]))
        }
    }

    @Test func h5pyReadsWhatSwiftWrote() throws {
        let path = Paths.temporaryFile("written.h5")
        try Self.writeSample(to: path)
        let h5py = try FileDescription.fromH5py(path)
        // Same comparison as for the fixtures: Swift's reading of its own file equals h5py's.
        try compare(try HDF5File.open(path), with: h5py)
        // And h5py saw what was written, not merely the same thing Swift reads back.
        let objects = Dictionary(uniqueKeysWithValues: h5py.objects.map { ($0["path"]?.stringValue ?? "", $0) })
        #expect(objects["/weights"]?["creation_order"]?.strings
            == ["zeta", "alpha", "half", "i8", "i16", "i32", "i64", "u8", "chunked"])
        #expect(objects["/weights/half"]?["dtype"]?.stringValue == "f16")
        #expect(objects["/weights/chunked"]?["values"]?.arrayValue?.compactMap(\.doubleValue) == (0..<30).map { Double($0) * 0.25 })
        #expect(objects["/weights/chunked"]?["compression"]?.stringValue == "gzip")
        let root = try #require(objects["/"]?["attributes"]?.arrayValue)
        let backend = try #require(root.first { $0["name"]?.stringValue == "backend" })
        #expect(backend["value"]?.stringValue == "tensorflow" && backend["charset"]?.stringValue == "utf8")
    }

    @Test func h5dumpReadsWhatSwiftWrote() throws {
        let path = Paths.temporaryFile("written.h5")
        try Self.writeSample(to: path)
        let result = try run("h5dump", ["-d", "/weights/i64", path])
        #expect(result.status == 0, "\(result.stderr)")
        let text = String(decoding: result.stdout, as: UTF8.self)
        #expect(text.contains("-9223372036854775808, 9223372036854775807"), "\(text)")
    }

    @Test func overwritingAnAttributeReplacesIt() throws {
        let path = Paths.temporaryFile("attr.h5")
        try HDF5File.writeAtomically(to: path) { root in
            try root.writeAttribute("note", string: "first")
            try root.writeAttribute("note", strings: ["a", "b"], encoding: .variableASCII)
        }
        let attribute = try HDF5File.open(path).root.attribute("note")
        #expect(attribute.value == .strings(["a", "b"]) && attribute.shape == [2])
    }
}
