import Foundation

/// A pool of reusable buffers, so a forward pass does not allocate afresh in every
/// layer: an op's output or scratch (im2col columns, attention scores) comes from
/// the pool, and the caller hands it back with `recycle` once it is dead.
///
/// Buffers are matched by capacity (the smallest free buffer that fits), so a model
/// that repeats the same layer shapes reaches a steady state with no new
/// allocations. Thread-safe; ops only touch it outside their parallel loops.
public final class Workspace: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [TensorStorage] = []
    private var allocated = 0
    private let keepsMappedBuffers: Bool

    /// With `keepsMappedBuffers` false, buffers of page-mapped size (`TensorStorage.mappingThreshold`
    /// and up) are not kept here: a recycled one goes back to the process's page pool once its
    /// last view is gone, and such requests take pages from there. That pool carves any size
    /// out of released pages, where this one hands out whole buffers by best fit: for
    /// activations that shrink stage by stage (VGG's), kept 191 MB buffers went on holding the
    /// pages of much smaller ones while the projections mapped theirs.
    public init(keepsMappedBuffers: Bool = true) { self.keepsMappedBuffers = keepsMappedBuffers }

    /// A tensor of `shape` with unspecified contents, from the pool when one fits.
    public func tensor(_ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(storage: storage(atLeast: n), offset: 0, shape: shape)
    }

    /// Returns `tensor`'s buffer to the pool. The caller must not use the tensor,
    /// or any view sharing its storage, afterwards.
    public func recycle(_ tensor: Tensor) { recycle(tensor.storage) }

    /// Returns a buffer to the pool (same contract as `recycle(_: Tensor)`).
    public func recycle(_ storage: TensorStorage) {
        if !keepsMappedBuffers, storage.isMapped { return }
        lock.lock(); defer { lock.unlock() }
        if !free.contains(where: { $0 === storage }) { free.append(storage) }
    }

    /// A buffer of at least `count` floats, from the pool when one fits.
    public func storage(atLeast count: Int) -> TensorStorage {
        lock.lock()
        var best: Int?
        for (i, s) in free.enumerated() where s.capacity >= count {
            if best == nil || s.capacity < free[best!].capacity { best = i }
        }
        if let best {
            let s = free.remove(at: best)
            lock.unlock()
            return s
        }
        allocated += count * MemoryLayout<Float>.stride
        lock.unlock()
        return TensorStorage(capacity: count)
    }

    /// Bytes this pool has allocated so far (a steady-state model stops growing it).
    public var allocatedBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return allocated
    }
}

/// The output tensor of an op: `into` when given (its element count must match,
/// and it is returned viewed as `shape`), else a pooled or fresh tensor.
func makeOutput(_ op: String, _ shape: [Int], into: Tensor?, workspace: Workspace?) throws(NNError) -> Tensor {
    if let into {
        let n = shape.reduce(1, *)
        try check(into.count == n, op, "output tensor \(into.shape) cannot hold result \(shape)")
        return Tensor(storage: into.storage, offset: into.offset, shape: shape)
    }
    if let workspace { return workspace.tensor(shape) }
    return Tensor(uninitialized: shape)
}

/// Scratch memory for an op, released with `releaseScratch`.
func scratch(_ count: Int, _ workspace: Workspace?) -> TensorStorage {
    workspace?.storage(atLeast: count) ?? TensorStorage(capacity: count)
}

func releaseScratch(_ storage: TensorStorage, _ workspace: Workspace?) {
    workspace?.recycle(storage)
}
