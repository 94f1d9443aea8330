import Foundation

/// One of `count` disjoint parts of a pair list, for running a benchmark on several
/// machines (`--shard i/n`). Shards are numbered from 1, as people and Slurm arrays
/// (`--array=1-n`) count: `1/4` … `4/4`; `1/1` is the whole list.
///
/// Split: the pair at position k of the list (counting from 0, in the dataset's own
/// order) belongs to shard (k mod n) + 1. Round-robin rather than contiguous blocks
/// because benchmark lists are sorted by scene and scenes differ in image size and
/// difficulty, so blocks would give uneven run times. The split depends only on the
/// list's order and n, never on the machine, the thread count or a seed.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// 1-based: 1 ≤ index ≤ count.
    public let index: Int
    public let count: Int

    /// The whole list as one shard.
    public static let whole = Shard(validIndex: 1, count: 1)

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw ShardError(text: "\(index)/\(count)", "the number of shards must be at least 1") }
        guard index >= 1, index <= count else {
            throw ShardError(text: "\(index)/\(count)",
                             "the shard number must be between 1 and \(count) (shards are numbered from 1)")
        }
        self.index = index
        self.count = count
    }

    private init(validIndex: Int, count: Int) {
        self.index = validIndex
        self.count = count
    }

    /// Parses `i/n`, e.g. `2/8`; surrounding spaces are ignored.
    public init(parsing text: String) throws {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw ShardError(text: text, "expected i/n with whole numbers, e.g. 2/8 for the second of eight shards")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether the item at 0-based `position` of the list belongs to this shard.
    public func contains(position: Int) -> Bool {
        position >= 0 && position % count == index - 1
    }

    /// The 0-based positions of this shard's items in a list of `total` items, in order.
    public func positions(total: Int) -> [Int] {
        guard total > index - 1 else { return [] }
        return Array(stride(from: index - 1, to: total, by: count))
    }

    /// This shard's items of `items`, in their original order.
    public func select<C: Collection>(_ items: C) -> [C.Element] {
        var out: [C.Element] = []
        out.reserveCapacity(items.count / count + 1)
        for (k, item) in items.enumerated() where k % count == index - 1 { out.append(item) }
        return out
    }
}

/// A `--shard` value that is not `i/n` with 1 ≤ i ≤ n.
public struct ShardError: Error, CustomStringConvertible, Sendable {
    public let text: String
    public let problem: String

    public init(text: String, _ problem: String) {
        self.text = text
        self.problem = problem
    }

    public var description: String { "--shard '\(text)': \(problem)" }
}
