#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float32 elements in one aligned allocation. Shared by every `Tensor` view of it;
/// freed when the last view goes away.
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let capacity: Int
    /// Bytes mapped with mmap, or 0 when the buffer came from the allocator.
    private let mappedBytes: Int
    /// Whether the buffer is pages of its own from `MappedPages` (released to its pool).
    var isMapped: Bool { mappedBytes > 0 }

    /// Buffers from this size up are mapped pages of their own. A model's
    /// activations are mostly 1–32 MB and die in a different order than they were
    /// born; from malloc (whose mmap threshold rises to 32 MB after the first large
    /// free) they leave resident holes in the heap: RoMa's full-size match peaked
    /// 9 % higher that way. Released, they go back to `MappedPages`, which keeps a
    /// bounded amount for reuse and returns the rest to the OS at once.
    static let mappingThreshold = 1 << 20

    /// 64-byte alignment keeps SIMD loads and OpenBLAS's packing on full cache lines
    /// (mapped buffers are page-aligned).
    public init(capacity: Int) {
        self.capacity = capacity
        let bytes = max(1, capacity) * MemoryLayout<Float>.stride
        if bytes >= Self.mappingThreshold, let (p, size) = MappedPages.acquire(bytes) {
            mappedBytes = size
            base = p.bindMemory(to: Float.self, capacity: max(1, capacity))
        } else {
            mappedBytes = 0
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            base = raw.bindMemory(to: Float.self, capacity: max(1, capacity))
        }
    }

    deinit {
        if mappedBytes > 0 {
            MappedPages.release(UnsafeMutableRawPointer(base), bytes: mappedBytes)
        } else {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }
}

/// A contiguous row-major Float32 tensor, NCHW for images as in torch.
///
/// Like a torch tensor, a `Tensor` is a *view*: copies of the value, and views made
/// by `reshaped`, share their elements. Writing through one is seen by all. Use
/// `copy()` for an independent tensor. Views are always contiguous (there are no
/// strides), so `permuted` and `narrowed` copy.
public struct Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: TensorStorage
    /// Element offset of this view inside `storage`.
    public let offset: Int

    // MARK: Creating

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.init(uninitialized: shape)
        pointer.initialize(repeating: 0, count: count)
    }

    /// A tensor whose elements are not initialised; every op that takes `into:` overwrites it.
    public init(uninitialized shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative size in shape \(shape)")
        let n = shape.reduce(1, *)
        self.init(storage: TensorStorage(capacity: n), offset: 0, shape: shape)
    }

    /// A tensor holding `values` in row-major order.
    public init(_ values: [Float], shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "Tensor: \(values.count) values do not fill shape \(shape)")
        self.init(uninitialized: shape)
        let destination = pointer
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { destination.update(from: base, count: source.count) }   // nil when empty
        }
    }

    /// A filled tensor.
    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitialized: shape)
        pointer.initialize(repeating: value, count: count)
    }

    /// A view on `storage` starting at `offset`; `storage` must hold the elements.
    public init(storage: TensorStorage, offset: Int = 0, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 } && offset >= 0 && offset + shape.reduce(1, *) <= storage.capacity,
                     "Tensor: shape \(shape) at offset \(offset) exceeds storage of \(storage.capacity)")
        self.storage = storage
        self.offset = offset
        self.shape = shape
    }

    // MARK: Shape

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// Size of dimension `d`; negative `d` counts from the end as in torch.
    public func dim(_ d: Int) -> Int { shape[d < 0 ? shape.count + d : d] }

    /// A view with a new shape and the same elements; one entry may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) throws(NNError) -> Tensor {
        var s = newShape
        let unknown = s.indices.filter { s[$0] == -1 }
        try check(unknown.count <= 1 && s.allSatisfy { $0 >= -1 }, "reshape", "invalid target shape \(newShape)")
        if let u = unknown.first {
            let known = s.enumerated().filter { $0.offset != u }.map(\.element).reduce(1, *)
            try check(known > 0 && count % known == 0, "reshape", "cannot infer -1 in \(newShape) from shape \(shape)")
            s[u] = count / known
        }
        try check(s.reduce(1, *) == count, "reshape", "shape \(shape) (\(count) elements) cannot become \(newShape)")
        return Tensor(storage: storage, offset: offset, shape: s)
    }

    // MARK: Elements

    /// First element of this view. Valid while the tensor (or any view of its storage) is alive.
    public var pointer: UnsafeMutablePointer<Float> { storage.base + offset }

    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(UnsafeMutableBufferPointer(start: pointer, count: count)) }
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: pointer, count: count)) }
    }

    /// The elements as an array (a copy).
    public var array: [Float] { withUnsafeBufferPointer { Array($0) } }

    /// Element at a flat (row-major) index.
    public subscript(flat i: Int) -> Float {
        get { precondition(i >= 0 && i < count); return pointer[i] }
        nonmutating set { precondition(i >= 0 && i < count); pointer[i] = newValue }
    }

    /// Element at a multi-index, one entry per dimension (for tests and small lookups, not hot loops).
    public subscript(_ index: Int...) -> Float {
        get { pointer[flatIndex(index)] }
        nonmutating set { pointer[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor: index \(index) for shape \(shape)")
        var flat = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "Tensor: index \(index) out of range for shape \(shape)")
            flat = flat * n + i
        }
        return flat
    }

    /// An independent copy.
    public func copy() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.pointer.update(from: pointer, count: count)
        return t
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// Copies `source`'s elements into this tensor; the element counts must match.
    public func assign(from source: Tensor) throws(NNError) {
        try check(source.count == count, "assign", "source \(source.shape) into \(shape)")
        pointer.update(from: source.pointer, count: count)
    }

    /// True when both views cover the same elements (used to allow in-place ops).
    func aliases(_ other: Tensor) -> Bool { storage === other.storage && offset == other.offset }

    /// True when the element ranges of the two views overlap.
    func overlaps(_ other: Tensor) -> Bool {
        storage === other.storage && offset < other.offset + other.count && other.offset < offset + count
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}
