import Testing
@testable import BNModel

@Suite("allclose comparison")
struct ComparisonTests {
    @Test("equal values pass with zero error")
    func equal() throws {
        let result = try Comparison(actual: [1, -2, 0, 3e6], expected: [1, -2, 0, 3e6])
        #expect(result.passed && result.count == 4 && result.violationCount == 0)
        #expect(result.worstAbsoluteError == 0 && result.worstRelativeError == 0 && result.worstViolationIndex == nil)
    }

    @Test("|a − b| ≤ atol + rtol·|b| at the boundary, with numpy's defaults rtol 1e-4, atol 1e-5")
    func boundary() throws {
        // Tolerance at 1000 is 1e-5 + 0.1. 1000.0999755859375 is inside, 1000.1099853515625 outside.
        #expect(try Comparison(actual: [1000.1], expected: [1000]).passed)
        let outside = try Comparison(actual: [1000.11], expected: [1000])
        #expect(!outside.passed && outside.violationCount == 1 && outside.worstViolationIndex == 0)
        // At zero only atol counts: 5e-6 passes, 5e-5 does not.
        #expect(try Comparison(actual: [5e-6], expected: [0]).passed)
        #expect(try !Comparison(actual: [5e-5], expected: [0]).passed)
    }

    @Test("the rule is scaled by the expected value, as in numpy (asymmetric)")
    func asymmetric() throws {
        #expect(try Comparison(actual: [1], expected: [2], rtol: 0.5, atol: 0).passed)
        #expect(try !Comparison(actual: [2], expected: [1], rtol: 0.5, atol: 0).passed)
    }

    @Test("NaN on either side, or both, is a violation and is reported first")
    func nan() throws {
        let result = try Comparison(actual: [1, 100, .nan, 4, .nan], expected: [1, 1, 3, .nan, .nan])
        #expect(result.violationCount == 4)
        #expect(result.worstViolationIndex == 2)
        #expect(result.worstAbsoluteError == 99)
    }

    @Test("infinities pass only when equal")
    func infinities() throws {
        #expect(try Comparison(actual: [.infinity, -.infinity], expected: [.infinity, -.infinity]).passed)
        let mixed = try Comparison(actual: [.infinity, 1], expected: [-.infinity, .infinity])
        #expect(mixed.violationCount == 2 && mixed.worstAbsoluteError == .infinity)
    }

    @Test("the worst violation is the one furthest beyond its tolerance, not the largest difference")
    func worstViolation() throws {
        // Element 0: diff 1 against tolerance ≈ 0.1 (10×); element 1: diff 0.01 against ≈ 1e-5 (≈1000×).
        let result = try Comparison(actual: [1001, 0.01, 5], expected: [1000, 0, 5])
        #expect(result.violationCount == 2)
        #expect(result.worstViolationIndex == 1)
        #expect(result.worstAbsoluteError == 1)
        // The relative error ignores expected zeros: 1/1000.
        #expect(abs(result.worstRelativeError - 0.001) < 1e-12)
        #expect(result.description.contains("1/3 within"))
    }

    @Test("shapes and counts must agree")
    func mismatches() throws {
        #expect(throws: ComparisonError.countMismatch(actual: 2, expected: 3)) { try Comparison(actual: [1, 2], expected: [1, 2, 3]) }
        #expect(throws: ComparisonError.shapeMismatch(actual: [2, 3], expected: [3, 2])) {
            try Comparison(actual: NDArray(shape: [2, 3], values: [Float](repeating: 0, count: 6)),
                           expected: NDArray(shape: [3, 2], values: [Float](repeating: 0, count: 6)))
        }
        #expect(throws: ComparisonError.inconsistentArray(shape: [2, 2], count: 3)) {
            try Comparison(actual: NDArray(shape: [2, 2], values: [1, 2, 3]), expected: NDArray(shape: [2, 2], values: [1, 2, 3, 4]))
        }
        #expect(throws: ComparisonError.invalidTolerance(rtol: -1, atol: 0)) { try Comparison(actual: [1], expected: [1], rtol: -1, atol: 0) }
    }
}

@Suite("NDArray layouts")
struct NDArrayLayoutTests {
    @Test("NHWC ⇄ NCHW moves element (n, h, w, c) to (n, c, h, w) and back")
    func transpose() throws {
        // [1, 2, 2, 3] NHWC with value 100h + 10w + c.
        var values: [Float] = []
        for h in 0..<2 { for w in 0..<2 { for c in 0..<3 { values.append(Float(100 * h + 10 * w + c)) } } }
        let nhwc = NDArray(shape: [1, 2, 2, 3], values: values)
        let nchw = try nhwc.transposedNHWCtoNCHW()
        #expect(nchw.shape == [1, 3, 2, 2])
        #expect(nchw.values == [0, 10, 100, 110, 1, 11, 101, 111, 2, 12, 102, 112])
        #expect(try nchw.transposedNCHWtoNHWC() == nhwc)
        let vector = NDArray(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(try vector.transposedNHWCtoNCHW() == vector)
        #expect(throws: NDArrayError.self) { try NDArray(shape: [2, 3, 1], values: [1, 2, 3, 4, 5, 6]).transposedNHWCtoNCHW() }
        #expect(throws: NDArrayError.valueCount(shape: [1, 2, 2, 3], count: 2)) {
            try NDArray(shape: [1, 2, 2, 3], values: [1, 2]).transposedNHWCtoNCHW()
        }
    }
}
