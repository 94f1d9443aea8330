import Foundation

/// Hands out job numbers 0, 1, … to whichever thread asks first: work shared out
/// as threads come free (per-thread tiles, depthwise planes) rather than in fixed
/// halves, which under load leave one thread waiting for a descheduled other.
final class JobCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
