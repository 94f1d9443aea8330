/// A failure inside an operator: a shape rule broken at its boundary, or a
/// numerical precondition (a matrix that is not positive definite). It names the
/// operator and the offending shapes so a model author sees which layer failed.
public struct NNError: Error, CustomStringConvertible, Equatable {
    public let op: String
    public let problem: String

    public init(_ op: String, _ problem: String) {
        self.op = op
        self.problem = problem
    }

    public var description: String { "\(op): \(problem)" }
}

/// Throws an `NNError` for `op` unless `condition` holds. The message is built
/// lazily so the checks cost nothing on the hot path.
@inline(__always)
func check(_ condition: Bool, _ op: String, _ problem: @autoclosure () -> String) throws(NNError) {
    if !condition { throw NNError(op, problem()) }
}
