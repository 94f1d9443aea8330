import Testing
@testable import Pipeline

@Suite struct ShardTests {
    @Test func parsesOneBasedShards() throws {
        let s = try Shard(parsing: "2/8")
        #expect(s.index == 2 && s.count == 8)
        #expect(s.description == "2/8")
        #expect(try Shard(parsing: " 1/1 ") == Shard.whole)
    }

    @Test(arguments: ["0/4", "5/4", "-1/4", "1/0", "3", "a/b", "1/2/3", "", "/4", "2/", "1.5/4"])
    func rejectsMalformedShards(_ text: String) {
        #expect(throws: ShardError.self) { try Shard(parsing: text) }
    }

    @Test func errorNamesTheValueAndTheRule() {
        do {
            _ = try Shard(parsing: "0/4")
            Issue.record("0/4 was accepted")
        } catch {
            let text = String(describing: error)
            #expect(text.contains("'0/4'"))
            #expect(text.contains("between 1 and 4"))
        }
    }

    /// Every item in exactly one shard, for list lengths around and below n.
    @Test(arguments: [1, 2, 3, 7, 8])
    func shardsPartitionTheList(_ n: Int) throws {
        for total in [0, 1, n - 1, n, n + 1, 1500] where total >= 0 {
            let items = Array(0..<total)
            var seen = [Int](repeating: 0, count: total)
            for i in 1...n {
                let shard = try Shard(index: i, count: n)
                let chosen = shard.select(items)
                #expect(chosen == shard.positions(total: total))
                #expect(chosen == chosen.sorted(), "a shard keeps the list's order")
                for k in chosen {
                    seen[k] += 1
                    #expect(shard.contains(position: k))
                }
                // Round-robin: shard sizes differ by at most one.
                #expect(abs(chosen.count - total / n) <= 1)
            }
            #expect(seen.allSatisfy { $0 == 1 }, "total \(total), n \(n): union = all, disjoint")
        }
    }

    /// The split is a documented function of the position, so it is the same on any
    /// machine: pin a few assignments.
    @Test func roundRobinAssignment() throws {
        let pairs = ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]
        #expect(try Shard(parsing: "1/3").select(pairs) == ["p0", "p3", "p6"])
        #expect(try Shard(parsing: "2/3").select(pairs) == ["p1", "p4"])
        #expect(try Shard(parsing: "3/3").select(pairs) == ["p2", "p5"])
        #expect(Shard.whole.select(pairs) == pairs)
        #expect(!(try Shard(parsing: "1/3")).contains(position: -3))
    }
}
