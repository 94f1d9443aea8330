import Testing
@testable import NN

/// `permute`'s tiled path (a permutation that swaps two trailing groups of dimensions is a
/// batch of matrix transposes, in 16×16 register tiles under AVX-512) moves every element
/// to the place torch's permute().contiguous() puts it: checked element by element,
/// bit for bit, on shapes with ragged tile edges, several batches and both thread splits.
struct PermuteTransposeTests {
    @Test(arguments: [([2, 37, 5, 7], [0, 2, 3, 1]), ([1, 64, 300], [0, 2, 1]), ([3, 17, 33], [0, 2, 1]),
                      ([1, 2, 40, 50], [0, 2, 3, 1]), ([1, 70, 9, 61], [0, 3, 1, 2]), ([130, 257], [1, 0]),
                      ([1, 512, 96], [0, 2, 1])])
    func transposeMatchesDefinition(shape: [Int], dims: [Int]) throws {
        let count = shape.reduce(1, *)
        let x = Tensor((0..<count).map { Float(bitPattern: 0x3F80_0000 &+ UInt32($0)) }, shape: shape)
        #expect(batchTranspose(shape, dims) != nil)
        let y = try permute(x, dims)
        #expect(y.shape == dims.map { shape[$0] })
        var inStrides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] }
        let outShape = y.shape, xs = x.array, ys = y.array
        var wrong = 0
        for o in 0..<count {
            var rest = o, offset = 0
            for d in stride(from: outShape.count - 1, through: 0, by: -1) {
                offset += (rest % outShape[d]) * inStrides[dims[d]]
                rest /= outShape[d]
            }
            if ys[o].bitPattern != xs[offset].bitPattern { wrong += 1 }
        }
        #expect(wrong == 0, "\(shape) permuted by \(dims): \(wrong) elements misplaced")
    }

    @Test func otherPermutationsKeepTheGenericPath() {
        #expect(batchTranspose([2, 3, 4], [1, 0, 2]) == nil)
        #expect(batchTranspose([2, 3, 4], [0, 1, 2]) == nil)
        #expect(batchTranspose([2, 3, 4, 5], [0, 3, 2, 1]) == nil)
    }
}
