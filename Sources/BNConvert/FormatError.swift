#if canImport(Glibc)
import Glibc
#endif

/// Why a file cannot be taken as an input in a format bnconvert reads, or why a conversion
/// between two formats is not offered. Every message about a file starts with that file.
public enum FormatError: Error, Sendable, Equatable {
    /// The file holds no bytes at all, so nothing says what it was meant to be (an empty
    /// `*.bnm` is taken for a `.bnm` cut short instead). Thrown by ``ModelFormat/detect(path:accepting:)``.
    case empty(file: String)
    /// The file's first bytes begin none of the `expected` formats. `firstBytes` are up to the
    /// first 64 bytes (the message shows 8, and recognises a Git LFS pointer or a web page
    /// saved under the model's name). Thrown by ``ModelFormat/detect(path:accepting:)``.
    case unrecognized(file: String, firstBytes: [UInt8], expected: [ModelFormat])
    /// The file is of a format bnconvert knows, but not one the caller takes (a Keras file
    /// given to `verify`, which reads `.bnm` files). Thrown by ``ModelFormat/detect(path:accepting:)``.
    case unexpectedFormat(file: String, found: ModelFormat, expected: [ModelFormat])
    /// A system call failed while reading the file's first bytes.
    case io(file: String, operation: String, errno: Int32)
    /// No writer in ``FormatTable`` takes a model read from `from` and writes the format
    /// `output`'s name asks for (or the name asks for none). Thrown by ``ConversionJob/init(from:to:)``.
    case unsupportedConversion(input: String, from: ModelFormat, output: String)
    /// Options that only reading a Keras file uses (an architecture, an input shape) were given
    /// for an input of `format`, which carries its own. Thrown by ``ConversionJob/read(options:)``.
    case optionsNotApplicable(input: String, format: ModelFormat)
}

extension FormatError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .empty(file):
            return "\(file): the file is empty (0 bytes); copy it again from its source"
        case let .unrecognized(file, firstBytes, expected):
            let shown = firstBytes.prefix(ModelFormat.shownLength).map { byte in
                String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
            }
            return "\(file): not \(Self.either(expected)) (first bytes \(shown.joined(separator: " ")))" + Self.hint(firstBytes)
        case let .unexpectedFormat(file, found, expected):
            let advice = expected == [.bnm] && found.isKeras ? "; convert it to .bnm first" : ""
            return "\(file): \(Self.noun(found)), not \(Self.either(expected))\(advice)"
        case let .io(file, operation, errno):
            return "\(file): \(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .unsupportedConversion(input, from, output):
            let rule = from == .bnm
                ? "a .bnm converts back to Keras: the output must end in .h5 or .keras (got '\(output)')"
                : "the output must be a .bnm file (got '\(output)')"
            // The bytes decided what the input is; say so when its name says otherwise.
            guard let named = ModelFormat(fileName: input), named != from else { return rule }
            return rule + "; \(input) is \(Self.noun(from)) by its contents, whatever its name"
        case let .optionsNotApplicable(input, format):
            return "\(input): an architecture and an input shape apply to Keras input files only; this is \(Self.noun(format))"
        }
    }

    /// "a .bnm file", "a Keras HDF5 file", "a Keras .keras archive".
    static func noun(_ format: ModelFormat) -> String {
        switch format {
        case .bnm: "a .bnm file"
        case .kerasHDF5: "a Keras HDF5 file"
        case .kerasArchive: "a Keras .keras archive"
        }
    }

    /// "a .bnm file", "an HDF5 file", "a .bnm, HDF5 or .keras file".
    static func either(_ formats: [ModelFormat]) -> String {
        let names = formats.map { format in
            switch format {
            case .bnm: ".bnm"
            case .kerasHDF5: "HDF5"
            case .kerasArchive: ".keras"
            }
        }
        guard let first = names.first else { return "a file bnconvert reads" }
        let list = names.count == 1 ? first : names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
        return (first == "HDF5" ? "an " : "a ") + list + " file"
    }

    /// What the first bytes are when they are a well-known stand-in for the file.
    static func hint(_ start: [UInt8]) -> String {
        let text = String(decoding: start, as: UTF8.self)
        if text.hasPrefix("version https://git-lfs.github.com/spec/") {
            return "; it is a Git LFS pointer, not the file itself: fetch it (git lfs pull)"
        }
        let lowered = text.drop { $0.isWhitespace }.lowercased()
        if lowered.hasPrefix("<!doctype html") || lowered.hasPrefix("<html") {
            return "; it is a web page (HTML), such as a download's error page: download the file itself"
        }
        return ""
    }
}
