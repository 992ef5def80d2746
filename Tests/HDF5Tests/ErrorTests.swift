import Foundation
import HDF5
import Testing

/// Bad input gives a distinct typed error naming the file and the object, and HDF5 prints
/// nothing of its own.
@Suite(.serialized) struct ErrorTests {
    @Test func truncatedFile() throws {
        let path = Paths.fixture("truncated.h5")
        let (error, stderr) = capturingStandardError { Result { try HDF5File.open(path) } }
        guard case .failure(HDF5Error.truncated(let file, _)) = error else {
            Issue.record("expected .truncated, got \(error)")
            return
        }
        #expect(file == path)
        #expect(stderr.isEmpty, "stderr: \(stderr)")
    }

    @Test func textFileNamedH5() throws {
        let path = Paths.fixture("not_hdf5.h5")
        let (error, stderr) = capturingStandardError { Result { try HDF5File.open(path) } }
        #expect(error.failure == .notHDF5(file: path))
        #expect(stderr.isEmpty, "stderr: \(stderr)")
    }

    @Test func missingFile() throws {
        let path = "/nonexistent/model.h5"
        #expect(Result { try HDF5File.open(path) }.failure == .fileNotFound(file: path, reason: "no such file"))
    }

    @Test func missingDataset() throws {
        let path = Paths.fixture("tfkeras_weights.h5")
        let file = try HDF5File.open(path)
        let (error, stderr) = capturingStandardError { Result { try file.root.dataset("bn/bn/no_such:0") } }
        #expect(error.failure == .notFound(file: path, path: "/bn/bn/no_such:0", kind: .dataset))
        #expect(Result { try file.root.dataset("no/such/group/x") }.failure
            == .notFound(file: path, path: "/no/such/group/x", kind: .dataset))
        #expect(Result { try file.root.dataset("bn") }.failure
            == .wrongKind(file: path, path: "/bn", expected: .dataset, found: .group))
        #expect(stderr.isEmpty, "stderr: \(stderr)")
        #expect(file.openObjectCount == 1, "a failed lookup leaks no handle")
    }

    @Test func wrongElementType() throws {
        let path = Paths.fixture("edge_cases.h5")
        let file = try HDF5File.open(path)
        let dataset = try file.root.dataset("dtypes/float16")
        let (error, stderr) = capturingStandardError { Result { try dataset.read(as: Float.self) } }
        #expect(error.failure == .typeMismatch(file: path, path: "/dtypes/float16", stored: .float16, requested: .float32))
        #expect(stderr.isEmpty, "stderr: \(stderr)")
    }

    @Test func missingAttributeAndSlabOutsideShape() throws {
        let path = Paths.fixture("edge_cases.h5")
        let file = try HDF5File.open(path)
        #expect(Result { try file.root.attribute("nope") }.failure == .notFound(file: path, path: "/@nope", kind: .attribute))
        let dataset = try file.root.dataset("dtypes/float32")
        var buffer = [Float](repeating: 0, count: 4)
        let error = buffer.withUnsafeMutableBytes { raw in
            Result { try dataset.readSlab(start: [1, 1], count: [2, 2], into: raw) }
        }
        guard case .failure(HDF5Error.shapeMismatch(_, "/dtypes/float32", _)) = error else {
            Issue.record("expected .shapeMismatch, got \(error)")
            return
        }
    }

    @Test func failedReadReleasesHandles() throws {
        let file = try HDF5File.open(Paths.fixture("edge_cases.h5"))
        _ = Result { try file.root.dataset("dtypes/float16").read(as: Double.self) }
        _ = Result { try file.root.group("dtypes").attribute("missing") }
        #expect(file.openObjectCount == 1)
    }

    /// Every handle is closed deterministically: once the last object taken from a file goes,
    /// HDF5 has closed the file itself, after a full read and after failed reads alike.
    @Test func fileIsClosedOnceItsObjectsAreReleased() throws {
        // A private copy: other suites read the fixture itself in parallel.
        let path = Paths.temporaryFile("keras3_model.h5")
        try FileManager.default.copyItem(atPath: Paths.fixture("keras3_model.h5"), toPath: path)
        do {
            let file = try HDF5File.open(path)
            try compare(file, with: try FileDescription(fixture: "keras3_model.expected.json"))
            _ = Result { try file.root.dataset("model_weights/no/such") }
            _ = Result { try file.root.dataset("model_weights/bn/tiny_seq/bn/gamma").read(as: Double.self) }
            #expect(HDF5Library.openFilePaths.contains(path))
        }
        #expect(!HDF5Library.openFilePaths.contains(path), "\(HDF5Library.openFilePaths)")
    }

    @Test func failedAtomicWriteLeavesNoFile() throws {
        let path = Paths.temporaryFile("out.h5")
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try HDF5File.writeAtomically(to: path) { root in
                try root.writeDataset("x", values: [Float](repeating: 1, count: 8), shape: [8])
                throw Stop()
            }
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}

extension Result where Failure == any Error {
    var failure: HDF5Error? { if case let .failure(error) = self { error as? HDF5Error } else { nil } }
}
