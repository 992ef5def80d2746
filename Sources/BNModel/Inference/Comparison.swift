/// The result of comparing computed values with reference values by numpy's `allclose` rule:
/// element i passes when `|actual[i] − expected[i]| ≤ atol + rtol·|expected[i]|`.
///
/// This is how a conversion is proven: the reference forward pass over the converted model
/// (`actual`) against Keras' own predictions (`expected`). As in numpy the rule is asymmetric,
/// scaled by the expected value. A NaN on either side is always a violation (numpy's default
/// `equal_nan=False`); infinities pass only when both sides are the same infinity.
public struct Comparison: Sendable, Equatable, CustomStringConvertible {
    public let rtol: Double
    public let atol: Double
    /// Number of elements compared.
    public let count: Int
    /// Number of elements that break the rule.
    public let violationCount: Int
    /// Largest `|actual − expected|` over the elements where both are numbers (0 when there are
    /// none); infinite when one side is infinite and the other is not.
    public let worstAbsoluteError: Double
    /// Largest `|actual − expected| / |expected|` over the elements with a non-zero, finite
    /// expected value (where expected is 0 the ratio means nothing and `atol` alone decides).
    public let worstRelativeError: Double
    /// The flat (row-major) index of the worst violation: a NaN if there is one, otherwise the
    /// element that exceeds its tolerance by the largest factor
    /// `|actual − expected| / (atol + rtol·|expected|)`; nil when every element passes.
    public let worstViolationIndex: Int?

    /// True when no element breaks the rule.
    public var passed: Bool { violationCount == 0 }

    /// Compares `actual` with `expected` element by element.
    public init(actual: [Float], expected: [Float], rtol: Double = 1e-4, atol: Double = 1e-5) throws(ComparisonError) {
        guard actual.count == expected.count else {
            throw .countMismatch(actual: actual.count, expected: expected.count)
        }
        guard rtol >= 0, atol >= 0, rtol.isFinite, atol.isFinite else { throw .invalidTolerance(rtol: rtol, atol: atol) }
        self.rtol = rtol
        self.atol = atol
        count = actual.count
        var violations = 0
        var worstAbsolute = 0.0
        var worstRelative = 0.0
        var worstIndex: Int?
        var worstExcess = -Double.infinity
        var firstNaN: Int?
        for index in 0..<actual.count {
            let a = Double(actual[index])
            let b = Double(expected[index])
            if a.isNaN || b.isNaN {
                violations += 1
                if firstNaN == nil { firstNaN = index }
                continue
            }
            if a.isInfinite || b.isInfinite {
                if a == b { continue }
                violations += 1
                worstAbsolute = .infinity
                if worstExcess < .infinity { worstExcess = .infinity; worstIndex = index }
                continue
            }
            let difference = abs(a - b)
            worstAbsolute = max(worstAbsolute, difference)
            if b != 0 { worstRelative = max(worstRelative, difference / abs(b)) }
            let tolerance = atol + rtol * abs(b)
            if difference > tolerance {
                violations += 1
                let excess = tolerance > 0 ? difference / tolerance : .infinity
                if excess > worstExcess { worstExcess = excess; worstIndex = index }
            }
        }
        violationCount = violations
        worstAbsoluteError = worstAbsolute
        worstRelativeError = worstRelative
        worstViolationIndex = firstNaN ?? worstIndex
    }

    /// Compares two arrays of the same shape.
    public init(actual: NDArray, expected: NDArray, rtol: Double = 1e-4, atol: Double = 1e-5) throws(ComparisonError) {
        guard actual.shape == expected.shape else { throw .shapeMismatch(actual: actual.shape, expected: expected.shape) }
        for array in [actual, expected] where !array.isConsistent {
            throw .inconsistentArray(shape: array.shape, count: array.values.count)
        }
        try self.init(actual: actual.values, expected: expected.values, rtol: rtol, atol: atol)
    }

    public var description: String {
        let summary = "\(count - violationCount)/\(count) within atol \(atol) + rtol \(rtol)·|expected|; "
            + "worst absolute error \(worstAbsoluteError), worst relative error \(worstRelativeError)"
        guard let worstViolationIndex else { return summary }
        return summary + "; \(violationCount) violation\(violationCount == 1 ? "" : "s"), worst at flat index \(worstViolationIndex)"
    }
}

/// Two value sets that cannot be compared.
public enum ComparisonError: Error, Sendable, Equatable, CustomStringConvertible {
    case shapeMismatch(actual: [Int], expected: [Int])
    case countMismatch(actual: Int, expected: Int)
    case invalidTolerance(rtol: Double, atol: Double)
    /// An array holds a number of values other than the product of its shape.
    case inconsistentArray(shape: [Int], count: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let actual, let expected):
            return "cannot compare: computed shape \(actual), expected shape \(expected)"
        case .countMismatch(let actual, let expected):
            return "cannot compare: \(actual) computed values, \(expected) expected"
        case .invalidTolerance(let rtol, let atol):
            return "tolerances must be finite and ≥ 0, got rtol \(rtol), atol \(atol)"
        case .inconsistentArray(let shape, let count):
            return "cannot compare: an array of shape \(shape) holds \(count) values"
        }
    }
}
