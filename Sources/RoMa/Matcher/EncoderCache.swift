import NN

/// Encoder outputs (an image's projected VGG pyramid, with DINOv2's stride-16 features
/// on the coarse pass) kept across pairs, so that an image shared by several pairs is
/// encoded once. Bounded by `capacityBytes`; when full, the entry with the fewest
/// announced uses left goes first, least recently used among equals.
///
/// The features are exactly what a fresh encode computes (the encoder is a pure
/// function of the image and the weights), so a warp matched from cached features is
/// bit-identical to one matched without the cache.
public final class EncoderCache: @unchecked Sendable {
    public struct Key: Hashable, Sendable {
        /// The image's identity, e.g. its decoded file's path.
        public var image: String
        public var coarse: Bool
        public var height: Int, width: Int

        public init(image: String, coarse: Bool, resolution: (height: Int, width: Int)) {
            self.image = image
            self.coarse = coarse
            (height, width) = resolution
        }
    }

    private struct Entry {
        var features: [Int: Tensor]
        var bytes: Int
        var lastUse: Int
    }

    public let capacityBytes: Int
    private var entries: [Key: Entry] = [:]
    private var usesLeft: [String: Int] = [:]
    private var clock = 0
    public private(set) var bytes = 0
    public private(set) var peakBytes = 0
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init(capacityBytes: Int) {
        precondition(capacityBytes >= 0, "cache capacity must not be negative")
        self.capacityBytes = capacityBytes
    }

    /// Announces how many more pairs will need `image`: eviction keeps the images
    /// needed most, and `finished(_:)` drops an image as soon as nothing needs it.
    public func expect(_ image: String, uses: Int) {
        usesLeft[image] = uses
    }

    /// A pair using `image` is done: one use fewer, and its features go when none is left.
    public func finished(_ image: String) {
        let left = max(0, (usesLeft[image] ?? 0) - 1)
        usesLeft[image] = left
        if left == 0 {
            for key in entries.keys where key.image == image { remove(key) }
        }
    }

    /// The cached features for `key`, else `compute()`'s, stored when they fit.
    public func features(_ key: Key, compute: () throws -> [Int: Tensor]) rethrows -> [Int: Tensor] {
        clock += 1
        if var entry = entries[key] {
            hits += 1
            entry.lastUse = clock
            entries[key] = entry
            return entry.features
        }
        misses += 1
        let features = try compute()
        let size = features.values.reduce(0) { $0 + $1.count * MemoryLayout<Float>.stride }
        // Not worth keeping when no later pair announced a use of this image.
        guard size <= capacityBytes, (usesLeft[key.image] ?? 0) > 1 else { return features }
        while bytes + size > capacityBytes, let victim = victim(sparing: key.image) { remove(victim) }
        if bytes + size <= capacityBytes {
            entries[key] = Entry(features: features, bytes: size, lastUse: clock)
            bytes += size
            peakBytes = max(peakBytes, bytes)
        }
        return features
    }

    public var count: Int { entries.count }

    private func victim(sparing image: String) -> Key? {
        entries.filter { $0.key.image != image }
            .min { a, b in
                let ua = usesLeft[a.key.image] ?? 0, ub = usesLeft[b.key.image] ?? 0
                return ua != ub ? ua < ub : a.value.lastUse < b.value.lastUse
            }?.key
    }

    private func remove(_ key: Key) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        bytes -= entry.bytes
    }
}
