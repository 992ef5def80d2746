import Foundation

// So that `error.localizedDescription` (what Foundation-based callers print) is the actionable
// message rather than "The operation could not be completed".

extension BNMError: LocalizedError {
    public var errorDescription: String? { description }
}

extension ModelError: LocalizedError {
    public var errorDescription: String? { description }
}

extension TensorError: LocalizedError {
    public var errorDescription: String? { description }
}
