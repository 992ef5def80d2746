import Foundation
import Testing

/// Every command takes a file for what its bytes say, whatever its name, and says what a file
/// whose bytes match no format begins with.
@Suite struct FormatByBytesTests {
    @Test func namesDoNotDecide() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        #expect(try CLITests.bnconvert(CLITests.fixture("conv_bn_relu.h5"), bnm).status == 0)

        // A .bnm named .h5: converted back, inspected and validated as the .bnm it is.
        let disguised = folder.appendingPathComponent("model.h5").path
        try FileManager.default.copyItem(atPath: bnm, toPath: disguised)
        let back = folder.appendingPathComponent("back.h5").path
        let reversed = try CLITests.bnconvert(disguised, back)
        #expect(reversed.status == 0 && reversed.stderr.contains("wrote \(back) (keras-h5-model layout"), "\(reversed.stderr)")
        let inspected = try CLITests.bnconvert("inspect", disguised)
        #expect(inspected.status == 0 && inspected.stdout.hasPrefix("model conv_bn_relu  (from keras-h5-model"), "\(inspected.stdout)")
        #expect(try CLITests.bnconvert("validate", disguised).status == 0)
        // Asked to make a .bnm of it, the refusal says what it is.
        let refused = try CLITests.bnconvert(disguised, folder.appendingPathComponent("again.bnm").path)
        #expect(refused.status == 64 && refused.stderr.contains("\(disguised) is a .bnm file by its contents, whatever its name"),
                "\(refused.stderr)")

        // A .keras archive named .bnm converts to .bnm.
        let archive = folder.appendingPathComponent("archive.bnm").path
        try FileManager.default.copyItem(atPath: CLITests.fixture("conv_bn_relu.keras"), toPath: archive)
        let converted = try CLITests.bnconvert(archive, folder.appendingPathComponent("from_archive.bnm").path)
        #expect(converted.status == 0, "\(converted.stderr)")
    }

    @Test func verifyNamesAKerasFileAsOne() throws {
        let keras = CLITests.fixture("conv_bn_relu.h5")
        let outcome = try CLITests.bnconvert("verify", "--json", keras, "--input", CLITests.fixture("conv_bn_relu.input.npy"),
                                             "--expect", CLITests.fixture("conv_bn_relu.expected.npy"))
        #expect(outcome.status == 2)
        let error = try UserHabitsTests.jsonError(outcome)
        #expect(error["code"] == "not_bnm" && error["file"] == keras, "\(error)")
        #expect(error["message"] == "a Keras HDF5 file, not a .bnm file; convert it to .bnm first", "\(error)")
    }

    /// Unrecognised bytes keep the codes scripts know (`not_bnm` for what was to be a .bnm,
    /// `not_hdf5` otherwise) and show the first bytes; an empty file says it is empty.
    @Test func unrecognisedAndEmptyFiles() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = Data("This is not a model.\n".utf8)
        let cases: [(name: String, bytes: Data, code: String, message: String)] = [
            ("model.data", text, "not_hdf5", "not a .bnm, HDF5 or .keras file (first bytes 54 68 69 73 20 69 73 20)"),
            ("model.h5", text, "not_hdf5", "not an HDF5 file (first bytes 54 68 69 73 20 69 73 20)"),
            ("model.bnm", text, "not_bnm", "not a .bnm file (first bytes 54 68 69 73 20 69 73 20)"),
            ("empty.h5", Data(), "truncated", "the file is empty (0 bytes); copy it again from its source"),
        ]
        for (name, bytes, code, message) in cases {
            let path = folder.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            for command in ["inspect", "validate"] {
                let outcome = try CLITests.bnconvert(command, "--json", path)
                let error = try UserHabitsTests.jsonError(outcome)
                #expect(outcome.status == 2 && error["code"] == code && error["message"] == message, "\(command) \(name): \(error)")
                #expect(outcome.stderr == "bnconvert: error: \(path): \(message)\n", "\(command) \(name): \(outcome.stderr)")
            }
            let converted = try CLITests.bnconvert(path, folder.appendingPathComponent("out.bnm").path)
            #expect(converted.status == 2 && converted.stderr == "bnconvert: error: \(path): \(message)\n", "\(name): \(converted.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.bnm").path))
    }
}
