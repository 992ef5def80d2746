import Foundation
import Testing

/// `convert --fold-bn` from the user's side: what it folds and keeps, that the folded `.bnm`
/// still verifies against Keras, and that it is not mistaken for one that can go back.
@Suite struct FoldBatchNormTests {
    @Test func foldedConversionVerifiesAndIsInspectable() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("folded.bnm").path
        let converted = try CLITests.bnconvert(CLITests.fixture("conv_bn_relu.h5"), output, "--fold-bn")
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(converted.stderr.contains("folded batch norm 'bn' into 'conv'"), "\(converted.stderr)")
        #expect(converted.stderr.contains("5 layers"), "\(converted.stderr)")

        let verified = try CLITests.bnconvert("verify", output, "--input", CLITests.fixture("conv_bn_relu.input.npy"),
                                              "--expect", CLITests.fixture("conv_bn_relu.expected.npy"))
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        let inspected = try CLITests.bnconvert("inspect", output)
        #expect(inspected.stdout.contains("folded batch norms (--fold-bn): bn → conv"), "\(inspected.stdout)")
        #expect(!inspected.stdout.contains("batch_norm"), "\(inspected.stdout)")

        let back = folder.appendingPathComponent("back.h5").path
        let exported = try CLITests.bnconvert(output, back)
        #expect(exported.status == 2 && exported.stderr.contains("without --fold-bn"), "\(exported.stderr)")
        #expect(!FileManager.default.fileExists(atPath: back))
    }

    @Test func keptBatchNormsAreListedWithTheirReason() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("kept.bnm").path
        let converted = try CLITests.bnconvert(CLITests.fixture("per_activation_bn_full.h5"), output, "--fold-bn")
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(converted.stderr.contains("kept batch norm 'bn'") && converted.stderr.contains("per-activation"), "\(converted.stderr)")
        let inspected = try CLITests.bnconvert("inspect", output)
        #expect(inspected.stdout.contains("batch_norm"), "\(inspected.stdout)")
    }

    @Test func foldingAppliesOnlyToKerasInput() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        #expect(try CLITests.bnconvert(CLITests.fixture("conv_bn_relu.h5"), bnm).status == 0)
        let outcome = try CLITests.bnconvert(bnm, folder.appendingPathComponent("back.h5").path, "--fold-bn")
        #expect(outcome.status == 64 && outcome.stderr.contains("--fold-bn"), "\(outcome.stderr)")
    }
}
