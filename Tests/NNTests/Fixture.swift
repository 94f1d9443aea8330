import Artifacts
import Foundation
import NN
import TestSupport
import Testing

/// One operator's PyTorch reference, written by scripts/fixtures/make_ops_fixtures.py.
struct Fixture {
    let artifact: Artifact

    init(_ name: String) throws {
        artifact = try Artifact.read(TestPaths.fixture("nn/\(name).safetensors"))
    }

    func tensor(_ name: String) throws -> Tensor {
        let t = try artifact.tensor(name)
        return Tensor(try artifact.floats(name), shape: t.shape)
    }

    func int(_ key: String) throws -> Int { try artifact.metaInt(key) }

    func double(_ key: String) throws -> Double {
        let text = try artifact.meta(key)
        guard let v = Double(text) else { throw ArtifactError(file: artifact.source, "metadata '\(key)' = '\(text)' is not a number") }
        return v
    }
}

/// Largest |a − e| / (atol + rtol·|e|) over all elements: the check passes when it is ≤ 1.
func worstRatio(_ actual: Tensor, _ expected: Tensor, rtol: Float, atol: Float) -> Float {
    var worst: Float = 0
    let a = actual.array, e = expected.array
    for i in 0..<min(a.count, e.count) {
        let bound = atol + rtol * abs(e[i])
        let err = abs(a[i] - e[i])
        if !(err <= bound) { worst = max(worst, err.isNaN ? .infinity : err / bound) }
    }
    return worst
}

/// Expects `actual` to match `expected` in shape and, elementwise, within atol + rtol·|expected|.
func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float, atol: Float,
                 _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(label) shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let worst = worstRatio(actual, expected, rtol: rtol, atol: atol)
    let summary = errorSummary(actual, expected)
    #expect(worst <= 1, "\(label): error reaches \(worst)× the tolerance (rtol \(rtol), atol \(atol)); max abs \(summary.abs), max rel \(summary.rel)",
            sourceLocation: sourceLocation)
}

/// Max absolute and max relative error, for choosing and reporting tolerances.
func errorSummary(_ actual: Tensor, _ expected: Tensor) -> (abs: Float, rel: Float) {
    var ma: Float = 0, mr: Float = 0
    for (a, e) in zip(actual.array, expected.array) {
        ma = max(ma, abs(a - e))
        if abs(e) > 1e-3 { mr = max(mr, abs(a - e) / abs(e)) }
    }
    return (ma, mr)
}
