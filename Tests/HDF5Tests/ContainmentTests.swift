import Foundation
import HDF5
import Testing

/// Legal HDF5 that reaches outside the file, loops, or declares bytes it never stored
/// (`scripts/make_fixtures.py --part hostile`) is refused when opened, before anything reads
/// it: the error names the object and what it points to, and no handle is left open.
@Suite(.serialized) struct ContainmentTests {
    static let hostile = Paths.repositoryRoot.appendingPathComponent("Tests/CLITests/Fixtures/hostile")
    static let kernel = "/model_weights/dense/conv_bn_relu/dense/kernel"

    /// (That libhdf5 prints nothing of its own is asserted by the CLI tests, in a process of
    /// their own: capturing this process's stderr would catch other suites running alongside.)
    static func open(_ name: String) -> HDF5Error? {
        Result { try HDF5File.open(hostile.appendingPathComponent(name).path) }.failure
    }

    @Test(arguments: [
        ("external_storage.h5", kernel, "external raw storage in /etc/passwd"),
        ("external_link.h5", kernel, "an external link to /tmp/bnconvert-elsewhere.h5:/secret"),
        ("external_link_in_path.h5", "/model_weights/elsewhere", "an external link to /tmp/bnconvert-elsewhere.h5:/"),
        ("virtual_dataset.h5", kernel, "a virtual dataset mapped onto /tmp/bnconvert-elsewhere.h5"),
    ])
    func pointingOutsideIsRefused(_ name: String, _ object: String, _ reference: String) {
        let error = Self.open(name)
        let path = Self.hostile.appendingPathComponent(name).path
        #expect(error == .outsideFile(file: path, path: object, reference: reference))
        #expect(!HDF5Library.openFilePaths.contains(path), "the refused file is closed")
    }

    @Test(arguments: [
        ("cycle_to_ancestor.h5", "/model_weights"),
        ("cycle_to_root.h5", "/"),
        ("soft_link_cycle.h5", "/model_weights"),
    ])
    func loopsAreRefused(_ name: String, _ target: String) {
        let error = Self.open(name)
        let path = Self.hostile.appendingPathComponent(name).path
        #expect(error == .linkCycle(file: path, path: "/model_weights/conv/conv_bn_relu/conv/up", target: target))
        #expect(!HDF5Library.openFilePaths.contains(path), "the refused file is closed")
    }

    @Test(arguments: [
        ("unstored_chunked.h5", "in 954529 chunks, but only 0 were ever written"),
        ("unstored_contiguous.h5", "but none were ever written"),
    ])
    func declaredButUnstoredIsRefused(_ name: String, _ detail: String) {
        let error = Self.open(name)
        guard case let .unstoredData(_, object, message) = error else {
            Issue.record("expected .unstoredData, got \(String(describing: error))")
            return
        }
        #expect(object == Self.kernel)
        #expect(message.contains(detail), "\(message)")
    }

    /// A file rewritten after it was opened is noticed; one left alone is not.
    @Test func changesAfterOpeningAreNoticed() throws {
        let copy = Paths.temporaryFile("model.h5")
        try FileManager.default.copyItem(atPath: Paths.fixture("tfkeras_model.h5"), toPath: copy)
        let file = try HDF5File.open(copy)
        try file.checkUnchanged()
        let handle = try #require(FileHandle(forWritingAtPath: copy))
        try handle.truncate(atOffset: 100)
        try handle.close()
        guard case .failure(HDF5Error.changedWhileReading(let named, let detail)) = Result(catching: { try file.checkUnchanged() }) else {
            Issue.record("expected .changedWhileReading")
            return
        }
        #expect(named == copy)
        #expect(detail.contains("to 100 bytes"), "\(detail)")
    }
}
