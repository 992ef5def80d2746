import Foundation

extension BNMWriter {
    /// Writes `model` to the file URL `url`; see `write(_:to:chunkSize:)`.
    public static func write(_ model: Model, to url: URL, chunkSize: Int = 4 << 20) throws(BNMError) {
        try write(model, to: url.path, chunkSize: chunkSize)
    }
}

extension BNMFile {
    /// Opens the file at the file URL `url`; see `init(path:)`.
    public convenience init(url: URL) throws(BNMError) {
        try self.init(path: url.path)
    }
}
