import NN
import Testing

@Suite struct TensorTests {
    @Test func reshapeIsAViewAndInfersOneDimension() throws {
        let t = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let v = try t.reshaped([6, -1])
        #expect(v.shape == [6, 4])
        v[flat: 5] = 100
        #expect(t[0, 1, 1] == 100, "a reshaped view shares elements")
        #expect(throws: NNError.self) { try t.reshaped([5, -1]) }
        #expect(throws: NNError.self) { try t.reshaped([-1, -1]) }
        let c = t.copy()
        c[flat: 0] = -1
        #expect(t[flat: 0] == 0, "copy is independent")
    }

    @Test func layoutHelpersMatchTorch() throws {
        let f = try Fixture("layout")
        let x = try f.tensor("x")
        expectClose(try permute(x, [0, 2, 3, 1]), try f.tensor("permuted"), rtol: 0, atol: 0, "permute")
        expectClose(try add(x, try f.tensor("b")), try f.tensor("sum"), rtol: 0, atol: 0, "broadcast add")
        expectClose(try mul(x, try f.tensor("b")), try f.tensor("prod"), rtol: 0, atol: 0, "broadcast mul")
        let other = try f.tensor("cat_other")
        let joined = try concat([x, other], dim: 1)
        #expect(joined.shape == [2, 5, 4, 5])
        expectClose(try narrow(joined, dim: 1, start: 0, length: 3), x, rtol: 0, atol: 0, "narrow first")
        expectClose(try narrow(joined, dim: 1, start: 3, length: 2), other, rtol: 0, atol: 0, "narrow second")
        #expect(throws: NNError.self) { try add(x, Tensor(zeros: [3, 2])) }
        #expect(throws: NNError.self) { try permute(x, [0, 1, 1, 2]) }
    }

    @Test func inPlaceElementwiseOps() throws {
        let x = Tensor([-1, 2, -3, 4], shape: [4])
        _ = try relu(x, into: x)
        #expect(x.array == [0, 2, 0, 4])
        _ = try scale(x, by: 2, adding: 1, into: x)
        #expect(x.array == [1, 5, 1, 9])
        _ = try mapElements(x, into: x) { $0 - 1 }
        #expect(x.array == [0, 4, 0, 8])
        // An output that overlaps the input without being it would read what it just wrote.
        let big = Tensor(zeros: [8])
        let shifted = Tensor(storage: big.storage, offset: 1, shape: [4])
        let head = Tensor(storage: big.storage, offset: 0, shape: [4])
        #expect(throws: NNError.self) { try relu(head, into: shifted) }
        #expect(throws: NNError.self) { try relu(x, into: Tensor(zeros: [5])) }
    }
}
