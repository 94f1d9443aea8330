import Artifacts
import CKernels
import Foundation
import Parallel
import TestSupport
import Testing
@testable import NN

/// The bf16 precision mode (Precision.swift): rounding bit for bit as torch's, each bf16
/// GEMM path (oneDNN on AVX512-BF16 where present, the fp32 emulation everywhere)
/// against a double-precision product of the bf16-rounded operands, and linear, matmul
/// and convolutions against torch's CPU autocast on the fixtures of
/// scripts/fixtures/make_bf16_fixtures.py (Tests/Fixtures/bf16).
struct BF16Tests {
    /// bf16's unit roundoff: 8 significant bits, so rounding moves a value by at most 2⁻⁸ of it.
    static let uBF16 = 0x1p-8
    /// fp32's: 24 significant bits.
    static let uFP32 = 0x1p-24

    static var backends: [BF16.Backend] { BF16.Backend.allCases.filter(BF16.isAvailable) }

    static func fixture(_ name: String) throws -> Artifact {
        try Artifact.read(TestPaths.fixture("bf16/\(name).safetensors"))
    }

    static func tensor(_ f: Artifact, _ name: String) throws -> Tensor {
        Tensor(try f.floats(name), shape: try f.tensor(name).shape)
    }

    static func isBF16(_ x: Float) -> Bool { x.isNaN || x.bitPattern & 0xFFFF == 0 }

    // MARK: Rounding

    @Test func roundingMatchesTorchBitForBit() throws {
        let f = try Self.fixture("rounding")
        let x = try Self.tensor(f, "x"), expected = try Self.tensor(f, "y")
        let rounded = try BF16.round(x)
        var mismatches: [String] = []
        for i in 0..<x.count where rounded[flat: i].bitPattern != expected[flat: i].bitPattern {
            mismatches.append(String(format: "%08x → %08x, torch %08x", x[flat: i].bitPattern, rounded[flat: i].bitPattern,
                                     expected[flat: i].bitPattern))
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(x.count) differ: \(mismatches.prefix(5))")
        // Scalar entry points agree with the vector loop.
        for i in stride(from: 0, to: x.count, by: 7) {
            #expect(BF16.round(x[flat: i]).bitPattern == expected[flat: i].bitPattern)
            #expect(UInt32(BF16.bits(x[flat: i])) << 16 == expected[flat: i].bitPattern)
        }
    }

    @Test func roundingKeepsNaN() throws {
        let x = Tensor([.nan, -.nan, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFFC1_2345)] + [Float](repeating: 1, count: 20),
                       shape: [24])
        let r = try BF16.round(x)
        for i in 0..<4 { #expect(r[flat: i].isNaN && Self.isBF16(r[flat: i]), "element \(i): \(r[flat: i].bitPattern)") }
        #expect(r[flat: 1].sign == .minus)
    }

    // MARK: GEMM paths against double precision

    @Test(arguments: GEMMTests.shapes)
    func gemmPathsMatchDoublePrecision(_ s: GEMMTests.Shape) throws {
        var rng = SplitMix64(seed: 29)
        let (rowsA, colsA) = s.transA ? (s.k, s.m) : (s.m, s.k)
        let (rowsB, colsB) = s.transB ? (s.n, s.k) : (s.k, s.n)
        let lda = colsA + 3, ldb = colsB + 3, ldc = s.n + 3
        let a = (0..<(rowsA * lda)).map { _ in Float(rng.unit() * 2 - 1) }
        let b = (0..<(rowsB * ldb)).map { _ in Float(rng.unit() * 2 - 1) }
        // C stands for a bias: bf16 values, as the ops hand it over.
        let c0 = (0..<(s.m * ldc)).map { _ in BF16.round(Float(rng.unit() * 2 - 1)) }
        func elementA(_ i: Int, _ p: Int) -> Double { Double(BF16.round(s.transA ? a[p * lda + i] : a[i * lda + p])) }
        func elementB(_ p: Int, _ j: Int) -> Double { Double(BF16.round(s.transB ? b[j * ldb + p] : b[p * ldb + j])) }
        var reference = [Double](repeating: 0, count: s.m * s.n), magnitude = reference
        for i in 0..<s.m {
            for j in 0..<s.n {
                var exact = 0.0, mag = 0.0
                for p in 0..<s.k {
                    exact += elementA(i, p) * elementB(p, j)
                    mag += abs(elementA(i, p) * elementB(p, j))
                }
                let old = Double(c0[i * ldc + j])
                reference[i * s.n + j] = Double(s.alpha) * exact + Double(s.beta) * old
                magnitude[i * s.n + j] = abs(Double(s.alpha)) * mag + abs(Double(s.beta) * old)
            }
        }
        for backend in Self.backends {
            for roundOutput in [false, true] {
                var c = c0
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    GEMM.bf16(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                              a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: s.beta,
                              c: pc.baseAddress!, ldc: ldc, backend: backend, roundOutput: roundOutput)
                }}}
                var worst = 0.0
                for i in 0..<s.m {
                    for j in 0..<ldc {
                        guard j < s.n else {
                            #expect(c[i * ldc + j] == c0[i * ldc + j], "\(backend) \(s): wrote outside C at (\(i), \(j))")
                            continue
                        }
                        let y = c[i * ldc + j], ref = reference[i * s.n + j]
                        // Products of two bf16 values are exact in fp32 (8 + 8 significant bits ≤ 24),
                        // so the only error before the final rounding is fp32 accumulation in some
                        // order: γ_{k+2}·(|α|·Σ|a·b| + |β·c|) (Higham §3.1), as for the fp32 GEMM.
                        // Rounding the result adds at most u_bf16·|y| with |y| ≤ |ref| + that bound.
                        let steps = Double(s.k + 2)
                        let accumulation = steps * Self.uFP32 / (1 - steps * Self.uFP32) * magnitude[i * s.n + j]
                        let bound = roundOutput ? accumulation + Self.uBF16 * (abs(ref) + accumulation) : accumulation
                        let error = abs(Double(y) - ref)
                        #expect(error <= bound + 1e-30, "\(backend) round \(roundOutput) \(s): C[\(i), \(j)] = \(y), double \(ref)")
                        if roundOutput { #expect(Self.isBF16(y), "\(backend) \(s): C[\(i), \(j)] = \(y) is not a bf16 value") }
                        worst = max(worst, error / max(bound, 1e-30))
                    }
                }
                #expect(worst <= 1, "\(backend) round \(roundOutput) \(s): worst error \(worst) of its bound")
            }
        }
    }

    /// The emulation must be exercised on this machine too: it is available everywhere, and
    /// `ROMA_KERNELS=avx2|baseline` makes it the process's path (`make test` runs with both caps in CI).
    @Test func emulationIsAlwaysAvailable() {
        #expect(BF16.isAvailable(.emulated))
        if roma_kernels_level() < 2 { #expect(BF16.backend == .emulated) }
    }

    // MARK: Against torch's CPU autocast

    /// torch and we both round an fp32 accumulation of the same exact products to bf16; the
    /// two accumulations (different orders) differ by at most 2·γ_k·Σ|a·b| (γ_k ≈ k·2⁻²⁴),
    /// and two roundings of values that close differ by that plus at most one bf16 ulp
    /// (2⁻⁷ relative), only when a rounding boundary falls between them. So: at most one ulp
    /// plus the accumulation bound everywhere, and equal bits almost everywhere (a boundary
    /// within a few fp32 ulps of a value has odds of about k·2⁻¹⁶; ≥ 98 % equal is required).
    func expectLikeTorch(_ y: Tensor, _ torch: Tensor, magnitude: [Double], k: Int, _ label: String) {
        #expect(y.shape == torch.shape, "\(label): shape \(y.shape) vs \(torch.shape)")
        guard y.shape == torch.shape else { return }
        var equal = 0, worst = 0.0
        let gamma = Double(k + 2) * Self.uFP32
        for i in 0..<y.count {
            let a = Double(y[flat: i]), e = Double(torch[flat: i])
            #expect(Self.isBF16(y[flat: i]), "\(label): element \(i) = \(a) is not a bf16 value")
            if a == e { equal += 1; continue }
            let bound = 2 * Self.uBF16 * abs(e) + 2 * gamma * magnitude[i] * (1 + 2 * Self.uBF16)
            worst = max(worst, abs(a - e) / bound)
        }
        print("\(label): \(equal) of \(y.count) elements equal torch's bits; worst difference \(worst) of its bound")
        #expect(worst <= 1, "\(label): worst difference from torch is \(worst)× its bound")
        #expect(Double(equal) >= 0.98 * Double(y.count), "\(label): only \(equal) of \(y.count) elements equal torch's bits")
    }

    @Test func linearMatchesTorchAutocast() throws {
        let f = try Self.fixture("linear")
        let x = try Self.tensor(f, "x"), w = try Self.tensor(f, "weight"), b = try Self.tensor(f, "bias"), expected = try Self.tensor(f, "y")
        let k = w.shape[1], n = w.shape[0], rows = x.count / k
        let xr = x.array.map { Double(BF16.round($0)) }, wr = w.array.map { Double(BF16.round($0)) }
        var magnitude = [Double](repeating: 0, count: rows * n)
        for r in 0..<rows { for j in 0..<n {
            magnitude[r * n + j] = abs(Double(BF16.round(b[flat: j]))) + (0..<k).reduce(0) { $0 + abs(xr[r * k + $1] * wr[j * k + $1]) }
        }}
        expectLikeTorch(try linear(x, weight: w, bias: b, precision: .bf16), expected, magnitude: magnitude, k: k, "linear (\(BF16.backend))")
        // Each path explicitly, through the same GEMM call linear makes.
        let rb = try BF16.round(b)
        for backend in Self.backends {
            let out = Tensor(uninitialized: expected.shape)
            fillRows(out.pointer, rows: rows, columns: n, with: rb)
            GEMM.bf16(transA: false, transB: true, m: rows, n: n, k: k, alpha: 1, a: x.pointer, lda: k, b: w.pointer, ldb: k,
                      beta: 1, c: out.pointer, ldc: n, backend: backend)
            expectLikeTorch(out, expected, magnitude: magnitude, k: k, "linear GEMM \(backend)")
        }
    }

    @Test func matmulMatchesTorchAutocast() throws {
        let f = try Self.fixture("matmul")
        let a = try Self.tensor(f, "a"), b = try Self.tensor(f, "b"), expected = try Self.tensor(f, "y")
        let (batch, m, k, n) = (a.shape[0], a.shape[1], a.shape[2], b.shape[2])
        let ar = a.array.map { Double(BF16.round($0)) }, br = b.array.map { Double(BF16.round($0)) }
        var magnitude = [Double](repeating: 0, count: batch * m * n)
        for i in 0..<batch { for r in 0..<m { for j in 0..<n {
            magnitude[(i * m + r) * n + j] = (0..<k).reduce(0) { $0 + abs(ar[(i * m + r) * k + $1] * br[(i * k + $1) * n + j]) }
        }}}
        expectLikeTorch(try matmul(a, b, precision: .bf16), expected, magnitude: magnitude, k: k, "matmul")
    }

    @Test(arguments: ["conv_3x3", "conv_1x1", "conv_depthwise_5x5", "conv_patch14"])
    func convMatchesTorchAutocast(_ name: String) throws {
        let f = try Self.fixture(name)
        let x = try Self.tensor(f, "x"), w = try Self.tensor(f, "weight"), b = try Self.tensor(f, "bias"), expected = try Self.tensor(f, "y")
        let stride = try f.metaInt("stride"), padding = try f.metaInt("padding"), groups = try f.metaInt("groups")
        let magnitude = Self.convMagnitude(x, w, b, stride: stride, padding: padding, groups: groups)
        let k = w.count / w.shape[0]
        let algorithms: [ConvAlgorithm] = w.shape[2] == 3 && groups == 1 ? [.automatic, .im2col, .winograd] : [.automatic]
        for backend in Self.backends {
            for algorithm in algorithms {
                let y = try conv2d(x, weight: w, bias: b, stride: stride, padding: padding, dilation: 1, groups: groups, into: nil,
                                   workspace: Workspace(), columnBudget: 64, minimumBandColumns: 8, algorithm: algorithm,
                                   precision: .bf16, bf16Backend: backend)
                expectLikeTorch(y, expected, magnitude: magnitude, k: k, "\(name) \(backend) \(algorithm) (banded)")
            }
        }
        let y = try conv2d(x, weight: w, bias: b, stride: stride, padding: padding, groups: groups, precision: .bf16)
        expectLikeTorch(y, expected, magnitude: magnitude, k: k, "\(name) public conv2d")
    }

    /// Σ|w·x| + |b| per output in double, with input, weight and bias rounded to bf16.
    static func convMagnitude(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int, padding: Int, groups: Int) -> [Double] {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, cpg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let ho = (h + 2 * padding - kh) / stride + 1, wo = (wd + 2 * padding - kw) / stride + 1
        let xs = x.array.map { Double(BF16.round($0)) }, ws = w.array.map { Double(BF16.round($0)) }
        var out = [Double](repeating: 0, count: n * cout * ho * wo)
        for i in 0..<n { for co in 0..<cout {
            let g = co / (cout / groups)
            for oy in 0..<ho { for ox in 0..<wo {
                var mag = abs(Double(BF16.round(b[flat: co])))
                for ci in 0..<cpg { for ky in 0..<kh { for kx in 0..<kw {
                    let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                    mag += abs(ws[((co * cpg + ci) * kh + ky) * kw + kx] * xs[((i * cin + g * cpg + ci) * h + iy) * wd + ix])
                }}}
                out[((i * cout + co) * ho + oy) * wo + ox] = mag
            }}
        }}
        return out
    }
}
