@testable import NN
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

    @Test func largeTensorsAreMappedAlignedAndIndependent() throws {
        // Above TensorStorage's mapping threshold (1 MB) buffers are mmapped pages:
        // they must still start zeroed when asked, be 64-byte aligned, and not share
        // pages with one another once the first is released.
        let n = 3 << 18   // 3 MB of floats
        var a: Tensor? = Tensor(repeating: 7, shape: [n])
        let b = Tensor(zeros: [n])
        #expect(Int(bitPattern: b.pointer) % 64 == 0)
        #expect(b.array.allSatisfy { $0 == 0 })
        a![flat: n - 1] = 1
        #expect(a![flat: n - 1] == 1 && a![flat: 0] == 7 && b[flat: n - 1] == 0)
        a = nil
        let c = Tensor(repeating: 2, shape: [n])
        #expect(b.array.allSatisfy { $0 == 0 } && c[flat: n / 2] == 2)
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

@Suite struct WorkspaceAndErrorTests {
    @Test func workspaceHandsOutTheSmallestFittingBuffer() {
        let ws = Workspace()
        let small = ws.tensor([10]), medium = ws.tensor([100]), large = ws.tensor([1000])
        let allocated = ws.allocatedBytes
        #expect(allocated == 1110 * 4)
        ws.recycle(large); ws.recycle(small); ws.recycle(medium)
        ws.recycle(medium)   // a second recycle must not hand the same buffer out twice
        let again = ws.tensor([50])
        #expect(again.storage === medium.storage, "a request for 50 floats takes the 100-float buffer, not the 1000")
        let other = ws.tensor([60])
        #expect(other.storage === large.storage)
        #expect(ws.allocatedBytes == allocated)
        _ = ws.tensor([5000])
        #expect(ws.allocatedBytes == allocated + 5000 * 4, "nothing free fits, so it allocates")
    }

    @Test func workspaceWithoutMappedBuffersKeepsOnlyTheSmallOnes() {
        let ws = Workspace(keepsMappedBuffers: false)
        let mapped = ws.tensor([1 << 20]), small = ws.tensor([1000])   // 4 MB: pages of its own
        #expect(mapped.storage.isMapped && !small.storage.isMapped)
        let allocated = ws.allocatedBytes
        ws.recycle(mapped); ws.recycle(small)
        #expect(ws.tensor([1000]).storage === small.storage, "small buffers are kept as before")
        let again = ws.tensor([1 << 20])
        #expect(again.storage !== mapped.storage, "the mapped buffer was left to the page pool")
        #expect(ws.allocatedBytes == allocated + (1 << 20) * 4)
    }

    @Test func emptyTensorsAreFine() throws {
        let t = Tensor([], shape: [0, 3])
        #expect(t.count == 0)
        #expect(try relu(t).shape == [0, 3])
        #expect(try linear(Tensor(zeros: [0, 4]), weight: Tensor(zeros: [2, 4])).shape == [0, 2])
    }

    @Test func operatorsRejectBadShapesWithTheirName() {
        func message(_ body: () throws -> Tensor) -> String {
            do { _ = try body(); return "no error" } catch let error as NNError { return error.description } catch { return "other error \(error)" }
        }
        #expect(message { try interpolateBilinear(Tensor(zeros: [3, 4, 4]), size: (8, 8)) }.hasPrefix("interpolateBilinear:"))
        #expect(message { try interpolateBicubic(Tensor(zeros: [1, 1, 4, 4]), scaleFactor: (0, 1)) }.hasPrefix("interpolateBicubic:"))
        #expect(message { try layerNorm(Tensor(zeros: [2, 8]), weight: Tensor(zeros: [7]), bias: nil) }.hasPrefix("layerNorm:"))
        #expect(message { try cosineKernel(Tensor(zeros: [1, 3, 4]), Tensor(zeros: [1, 3, 5]), temperature: 0.2) }.hasPrefix("cosineKernel:"))
        #expect(message { try scaledDotProductAttention(q: Tensor(zeros: [1, 2, 3, 4]), k: Tensor(zeros: [1, 2, 3, 5]), v: Tensor(zeros: [1, 2, 3, 4])) }
                    .hasPrefix("attention:"))
        #expect(message { try maxPool2x2(Tensor(zeros: [4, 4])) }.hasPrefix("maxPool2x2:"))
        #expect(message { try concat([Tensor(zeros: [1, 2]), Tensor(zeros: [2, 3])], dim: 1) }.hasPrefix("concat:"))
        #expect(message { try narrow(Tensor(zeros: [4, 4]), dim: 1, start: 3, length: 2) }.hasPrefix("narrow:"))
        #expect(message { try softmax(Tensor(zeros: [2, 2]), into: Tensor(zeros: [3])) }.hasPrefix("softmax:"))
    }
}
