import Foundation
import NN
import Parallel
import Testing

/// OpenBLAS's products depend on its (process-wide) thread count. A serial-BLAS
/// section on one thread (the pose estimate) must not change a product another
/// thread computes meanwhile: that made RoMa's warps on the OpenBLAS path
/// (ROMA_KERNELS=baseline) depend on timing in parallel test runs.
struct BLASGateTests {
    @Test func serialSectionElsewhereLeavesProductsAlone() {
        let (m, n, k) = (256, 256, 500)
        var state: UInt64 = 7
        let next = { () -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        let a = (0..<m * k).map { _ in next() }, b = (0..<k * n).map { _ in next() }
        let product = {
            var c = [Float](repeating: 0, count: m * n)
            GEMM.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n, backend: .openblas)
            return c
        }
        let configured = product()
        // With one thread configured, or an OpenBLAS whose serial and threaded products
        // agree at this shape, a serial section could not show here.
        guard Threads.withSerialBLAS(product) != configured else { return }

        let entered = DispatchSemaphore(value: 0), left = DispatchSemaphore(value: 0)
        Thread {
            Threads.withSerialBLAS {
                entered.signal()
                Thread.sleep(forTimeInterval: 0.3)
            }
            left.signal()
        }.start()
        entered.wait()
        let during = product()
        left.wait()
        let differing = zip(during, configured).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) of \(m * n) elements differ when made during another thread's serial-BLAS section")
    }

    /// A shared request inside a serial section on the same thread (the pose solvers'
    /// LAPACK inside `roma estimate`) runs at once, on one BLAS thread; a nested serial
    /// section leaves the outer one serial when it ends.
    @Test func sectionsNestOnOneThread() {
        let product = Self.product(seed: 11)
        let configured = product(), serial = Threads.withSerialBLAS(product)
        let insideSerial = Self.finishes {
            Threads.withSerialBLAS { Threads.withConfiguredBLAS(product) }
        }
        #expect(insideSerial.map { Self.differing($0, serial) } == 0, "a shared section inside a serial one")
        let afterNested = Self.finishes {
            Threads.withSerialBLAS { () -> [Float] in
                _ = Threads.withSerialBLAS { 0 }
                return product()
            }
        }
        #expect(afterNested.map { Self.differing($0, serial) } == 0, "the outer section's products after a nested section ended")
        #expect(Self.differing(Threads.withConfiguredBLAS { Threads.withConfiguredBLAS(product) }, configured) == 0)
    }

    /// A thread inside a shared section may take it again while another thread waits for
    /// the exclusive one (glibc's default rwlock prefers readers; a writer-preferring lock
    /// would deadlock here). `withConfiguredBLAS` promises that nesting is safe.
    @Test func nestedSharedWhileWriterWaits() {
        let holding = DispatchSemaphore(value: 0), writerStarted = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0), writerDone = DispatchSemaphore(value: 0)
        Thread {
            Threads.withConfiguredBLAS {
                holding.signal()
                writerStarted.wait()
                Thread.sleep(forTimeInterval: 0.1)  // let the writer block on the lock
                Threads.withConfiguredBLAS { }
            }
            done.signal()
        }.start()
        holding.wait()
        Thread {
            writerStarted.signal()
            Threads.withSerialBLAS { }
            writerDone.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 10) == .success, "nested shared section blocked behind a waiting writer")
        #expect(writerDone.wait(timeout: .now() + 10) == .success, "the writer never got the lock")
    }

    private static func product(seed: UInt64) -> @Sendable () -> [Float] {
        let (m, n, k) = (256, 256, 500)
        var state = seed
        let next = { () -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        let a = (0..<m * k).map { _ in next() }, b = (0..<k * n).map { _ in next() }
        return {
            var c = [Float](repeating: 0, count: m * n)
            GEMM.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n, backend: .openblas)
            return c
        }
    }

    private static func differing(_ a: [Float], _ b: [Float]) -> Int { zip(a, b).filter { $0 != $1 }.count }

    /// Runs `body` on another thread and fails (instead of hanging the suite) when it
    /// does not finish within 10 s.
    private static func finishes<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T? {
        let box = ResultBox<T>(), finished = DispatchSemaphore(value: 0)
        Thread { box.value = body(); finished.signal() }.start()
        let ok = finished.wait(timeout: .now() + 10) == .success
        #expect(ok, "a nested BLAS section did not finish (deadlock)")
        return ok ? box.value : nil
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
