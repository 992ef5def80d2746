import ArgumentParser
import BNConvert
import BNModel
import Foundation
import HDF5
import JSONSchema
import KerasHDF5

/// Why a command could not do its work, as the user meets it: one `bnconvert: error:` line on
/// stderr that starts with the file at fault, and with `--json` the same as an object on
/// stdout, `{"error": {"code": …, "file": …, "message": …}}`, so that scripts never parse prose.
struct Failure: Error {
    /// A stable, documented identifier (README: "Errors as JSON"); the message may be reworded,
    /// the code is not.
    var code: Code
    /// The file at fault: the input, the `--config`, an `.npy`, or the output. Never a
    /// temporary file.
    var file: String
    /// What is wrong, without the leading file name.
    var message: String

    enum Code: String, CaseIterable {
        /// The file does not exist (or a folder on its path does not).
        case fileNotFound = "file_not_found"
        /// The file exists but may not be read.
        case permissionDenied = "permission_denied"
        /// The path names a folder or a device, not a file.
        case notAFile = "not_a_file"
        /// Not HDF5 at all (no signature).
        case notHDF5 = "not_hdf5"
        /// Not a `.bnm` (no magic).
        case notBNM = "not_bnm"
        /// HDF5, but none of the Keras layouts.
        case notKeras = "not_keras"
        /// The file ends early.
        case truncated
        /// The file's structure or bytes are damaged (checksums, malformed manifest or HDF5 objects).
        case damaged
        /// A layer, dtype or format version this tool does not handle.
        case unsupported
        /// The file points outside itself (external links or storage, virtual datasets).
        case outsideFile = "outside_file"
        /// A loop of links.
        case linkCycle = "link_cycle"
        /// A dataset declares bytes the file does not hold.
        case unstoredData = "unstored_data"
        /// The file changed while it was being read.
        case changedWhileReading = "changed_while_reading"
        /// A weights-only Keras file without `--config`.
        case architectureRequired = "architecture_required"
        /// The `--config` architecture is not JSON or lacks what the conversion needs.
        case invalidConfig = "invalid_config"
        /// The weights do not fit the architecture (missing, unexpected or misshapen weights).
        case weightsMismatch = "weights_mismatch"
        /// The model described breaks the IR's rules.
        case invalidModel = "invalid_model"
        /// An `.npy` given to `verify` cannot be read.
        case invalidArray = "invalid_array"
        /// The `verify` arrays do not fit the model (count or shape).
        case arrayMismatch = "array_mismatch"
        /// Reading the file crashed libhdf5 (a damaged file).
        case crashed
        /// The output could not be written (exit 73).
        case outputNotWritable = "output_not_writable"
        /// A system call failed reading the input.
        case ioError = "io_error"
        /// Any other reason the input cannot be used.
        case unusableInput = "unusable_input"
    }

    /// 73 for the output, 2 for every input.
    var exitCode: ExitCode { code == .outputNotWritable ? ExitStatus.cannotCreateOutput : ExitStatus.unusableInput }

    /// Prints the line on stderr and, with `json`, the object on stdout.
    func report(json: Bool) {
        Console.error("\(file): \(message)")
        guard json else { return }
        let object: [String: Any] = ["error": ["code": code.rawValue, "file": file, "message": message]]
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// The files a command works with, so that an error is put on the right one.
struct CommandFiles {
    /// The main input; errors that name no file are about it.
    var input: String
    /// Other inputs: `--config`, `.npy` arrays.
    var others: [String] = []
    /// The file written, if any: an error about it exits 73.
    var output: String?
}

extension Failure {
    init(_ code: Code, file: String, message: String) {
        self.code = code
        self.file = file
        self.message = message
    }

    /// Classifies a library error: its code from its type and case, its file from the error
    /// itself or from the start of its text (every library error's text starts with the file it
    /// concerns; the writers name the destination, never their temporary file).
    init(classifying error: any Error, files: CommandFiles) {
        if let failure = error as? Failure {
            self = failure
            return
        }
        var text = "\(error)"
        if let cocoa = error as? CocoaError {
            text = "\(cocoa.filePath ?? files.input): \(cocoa.localizedDescription)"
        }
        // Longest first: an output "m.bnm.h5" must not be taken for an input "m.bnm".
        let candidates = ([files.output].compactMap { $0 } + files.others + [files.input]).sorted { $0.count > $1.count }
        var file = files.input
        var message = text
        if let named = candidates.first(where: { text.hasPrefix($0 + ": ") }) {
            file = named
            message = String(text.dropFirst(named.count + 2))
        }
        var code = Self.code(for: error)
        if file == files.output { code = .outputNotWritable }
        self.init(code, file: file, message: message)
    }

    static func code(for error: any Error) -> Code {
        switch error {
        case let error as HDF5Error: return code(for: error)
        case let error as KerasError:
            switch error {
            case .unknownLayout: return .notKeras
            case .architectureRequired: return .architectureRequired
            case .invalidConfig: return .invalidConfig
            case .unsupportedLayer, .unsupportedDType: return .unsupported
            case .missingWeight, .unexpectedWeights, .weightShape, .inputShape, .shape: return .weightsMismatch
            case .hdf5(let underlying): return code(for: underlying)
            default: return .unusableInput
            }
        case let error as BNMError:
            switch error {
            case .io(_, _, let errno): return code(errno: errno)
            case .truncated, .trailingBytes, .dataLengthMismatch: return .truncated
            case .badMagic: return .notBNM
            case .unsupportedMajorVersion, .unsupportedRequiredFlags: return .unsupported
            case .invalidModel: return .invalidModel
            case .tensorSourceFailed(_, _, let underlying): return code(for: underlying)
            default: return .damaged
            }
        case let error as FormatError:
            switch error {
            case .empty: return .truncated
            // The codes scripts already know: a file that was to be a .bnm is "not_bnm", any
            // other "not_hdf5" (the Keras formats are HDF5 inside).
            case .unrecognized(_, _, let expected), .unexpectedFormat(_, _, let expected):
                return expected == [.bnm] ? .notBNM : .notHDF5
            case .io(_, _, let errno): return code(errno: errno)
            case .unsupportedConversion, .optionsNotApplicable: return .unusableInput
            }
        case let error as NPYError:
            if case .io(_, _, let errno) = error { return code(errno: errno) }
            return .invalidArray
        case is ParityError, is ComparisonError, is NDArrayError: return .arrayMismatch
        case is InterpreterError: return .unsupported
        case is ModelError: return .invalidModel
        case let error as CocoaError:
            switch error.code {
            case .fileReadNoSuchFile, .fileNoSuchFile: return .fileNotFound
            case .fileReadNoPermission: return .permissionDenied
            default: return .ioError
            }
        default: return .unusableInput
        }
    }

    static func code(for error: HDF5Error) -> Code {
        switch error {
        case .fileNotFound: return .fileNotFound
        case .notHDF5: return .notHDF5
        case .truncated: return .truncated
        case .unsupportedType: return .unsupported
        case .io(_, _, let errno): return code(errno: errno)
        case .outsideFile: return .outsideFile
        case .linkCycle: return .linkCycle
        case .unstoredData: return .unstoredData
        case .changedWhileReading: return .changedWhileReading
        case .notFound, .wrongKind, .typeMismatch, .shapeMismatch, .invalidText, .library: return .damaged
        @unknown default: return .damaged
        }
    }

    static func code(errno: Int32) -> Code {
        switch errno {
        case ENOENT, ENOTDIR: return .fileNotFound
        case EACCES, EPERM: return .permissionDenied
        case EISDIR: return .notAFile
        default: return .ioError
        }
    }
}

/// Runs a command's work, turning any error from the library into one `bnconvert: error:`
/// line naming the file at fault (and with `json` an error object on stdout) and an exit
/// status: 73 when the error is about `files.output`, else 2 (unusable input). `ExitCode`s
/// thrown on purpose pass through. Returns what `body` returns.
@discardableResult
func reportingErrors<Result>(_ files: CommandFiles, json: Bool = false, _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let failure = Failure(classifying: error, files: files)
        failure.report(json: json)
        throw failure.exitCode
    }
}

/// The single-file form: `file` is the input.
func reportingErrors(file: String, output: String? = nil, json: Bool = false, _ body: () throws -> Void) throws {
    try reportingErrors(CommandFiles(input: file, output: output), json: json, body)
}
