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
}
