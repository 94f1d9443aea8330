import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Sampling

struct SampleMatchesTests {
    /// A w × h warp whose A→B and B→A halves are the identity, with the given
    /// certainty per half.
    private func identityWarp(width w: Int, height h: Int, certaintyAB: (Int, Int) -> Float,
                              certaintyBA: (Int, Int) -> Float) -> Warp {
        var grid = [Float](), cab = [Float](), cba = [Float]()
        for row in 0..<h {
            for col in 0..<w {
                grid += [MatchSpace.centre(col, of: w), MatchSpace.centre(row, of: h)]
                cab.append(certaintyAB(row, col))
                cba.append(certaintyBA(row, col))
            }
        }
        return Warp(width: w, height: h, warpAB: grid, warpBA: grid, certaintyAB: cab, certaintyBA: cba,
                    widthA: 4 * w, heightA: 4 * h, widthB: 2 * w, heightB: 2 * h)
    }

    @Test func sameSeedSameMatchesOtherSeedOtherMatches() throws {
        let warp = SyntheticWarp.projective(width: 64, height: 48)
        let a = try sampleMatches(from: warp, options: SamplingOptions(count: 500, seed: 11))
        let b = try sampleMatches(from: warp, options: SamplingOptions(count: 500, seed: 11))
        let c = try sampleMatches(from: warp, options: SamplingOptions(count: 500, seed: 12))
        #expect(a.count == 500)
        #expect(a.pointsA == b.pointsA && a.pointsB == b.pointsB && a.certainty == b.certainty)
        #expect(a.pointsA != c.pointsA)
    }

    @Test(arguments: [SamplingOptions.Mode.thresholdBalanced, .balanced, .threshold])
    func pixelCoordinatesFollowTheReferenceConvention(mode: SamplingOptions.Mode) throws {
        // Only one cell of each half is certain, so both are drawn whatever the mode.
        let w = 8, h = 6
        var warp = identityWarp(width: w, height: h, certaintyAB: { $0 == 2 && $1 == 3 ? 0.7 : 0 },
                                certaintyBA: { $0 == 5 && $1 == 0 ? 0.02 : 0 })
        let abCell = (2 * w + 3) * 2
        warp.warpAB[abCell] = 0.25
        warp.warpAB[abCell + 1] = -0.5
        let m = try sampleMatches(from: warp, options: SamplingOptions(count: 10, mode: mode))
        #expect(m.count == 2)
        var found: [[Double]] = []
        for i in 0..<m.count { found.append([m.pointsA[2 * i], m.pointsA[2 * i + 1], m.pointsB[2 * i], m.pointsB[2 * i + 1], m.certainty![i]]) }
        found.sort { $0[4] > $1[4] }
        // A→B cell (row 2, col 3): u = 7/8 − 1, v = 5/6 − 1 on A (32 × 24 px), so
        // x = 32/2·(u + 1) = 14, y = 24/2·(v + 1) = 10; B (16 × 12 px) at (0.25, −0.5)
        // gives (10, 3). The certainty is the warp's own, not the thresholded 1.
        for (value, expected) in zip(found[0], [14, 10, 10, 3, Double(Float(0.7))]) { #expect(abs(value - expected) < 1e-5) }
        // B→A cell (row 5, col 0) of B's grid: u = 1/8 − 1, v = 11/6 − 1, mapped to A
        // by the identity: A (1·2, 11·2) = (2, 22); B (1, 11).
        #expect(abs(found[1][0] - 2) < 1e-5 && abs(found[1][1] - 22) < 1e-5)
        #expect(abs(found[1][2] - 1) < 1e-5 && abs(found[1][3] - 11) < 1e-5)
        #expect(found[1][4] == Double(Float(0.02)))
    }

    /// Where both directions see the scene, matches are twice as dense in 4-D match
    /// space as where only one does. Plain thresholding draws cells uniformly, so
    /// 2/3 of its matches fall on the doubly covered left half; balancing weights
    /// each candidate by 1/(density + 1), which would even the halves to ≈ 1/2, but
    /// candidates at the image border have too few neighbours and fall under the
    /// density floor, more often on the sparser right half, so it lands a little
    /// above (0.54 at these seeds).
    @Test func balancedSpreadsMatchesMoreEvenlyThanThresholding() throws {
        let warp = identityWarp(width: 128, height: 96, certaintyAB: { _, _ in 0.9 },
                                certaintyBA: { _, col in col < 64 ? 0.9 : 0 })
        func leftShare(_ mode: SamplingOptions.Mode) throws -> Double {
            var left = 0, total = 0
            for seed in 0..<4 {
                let m = try sampleMatches(from: warp, options: SamplingOptions(count: 1000, mode: mode, seed: UInt64(seed)))
                for i in 0..<m.count where m.pointsA[2 * i] < Double(warp.widthA) / 2 { left += 1 }
                total += m.count
            }
            return Double(left) / Double(total)
        }
        let plain = try leftShare(.threshold), balanced = try leftShare(.thresholdBalanced)
        // 4000 matches per mode: the binomial standard error of a share is ≤ 0.008,
        // so 0.04 is 5 standard errors; the two shares must differ by at least 10.
        #expect(abs(plain - 2.0 / 3) < 0.04, "threshold-only left share \(plain)")
        #expect(balanced > 0.46 && balanced < 0.58, "balanced left share \(balanced)")
        #expect(plain - balanced > 0.08, "balanced \(balanced) vs threshold-only \(plain)")
    }

    @Test func allZeroCertaintyIsAClearError() {
        let warp = identityWarp(width: 8, height: 8, certaintyAB: { _, _ in 0 }, certaintyBA: { _, _ in 0 })
        for mode in SamplingOptions.Mode.allCases {
            #expect {
                try sampleMatches(from: warp, options: SamplingOptions(mode: mode))
            } throws: { error in
                (error as? SamplingError)?.problem.contains("every certainty is zero") == true
            }
        }
    }

    @Test func nonFiniteOrNegativeValuesAreRejected() {
        var warp = identityWarp(width: 8, height: 8, certaintyAB: { _, _ in 0.5 }, certaintyBA: { _, _ in 0.5 })
        warp.warpBA[17] = .nan
        #expect(throws: SamplingError.self) { try sampleMatches(from: warp, options: SamplingOptions()) }
        do {
            _ = try sampleMatches(from: warp, options: SamplingOptions())
        } catch let error as SamplingError {
            #expect(error.problem.contains("warp_ba") && error.problem.contains("element 17"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        warp.warpBA[17] = 0
        warp.certaintyAB[3] = -0.1
        #expect(throws: SamplingError.self) { try sampleMatches(from: warp, options: SamplingOptions()) }
        warp.certaintyAB[3] = 0.1
        #expect(throws: SamplingError.self) { try sampleMatches(from: warp, options: SamplingOptions(count: 0)) }
        #expect(throws: SamplingError.self) { try sampleMatches(from: warp, options: SamplingOptions(threshold: .nan)) }
        #expect(throws: Never.self) { try sampleMatches(from: warp, options: SamplingOptions()) }
    }

    @Test func aWarpFileWithNaNIsRejectedNamingTheFile() throws {
        var warp = identityWarp(width: 4, height: 4, certaintyAB: { _, _ in 0.5 }, certaintyBA: { _, _ in 0.5 })
        warp.certaintyBA[2] = .nan
        let path = TestPaths.scratch("sampling") + "/nan_warp.safetensors"
        try warp.artifact.write(to: path)
        #expect {
            try Warp.read(path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("non-finite")
        }
    }

    @Test func fewerCertainCellsThanRequestedGivesAllOfThem() throws {
        let warp = identityWarp(width: 8, height: 8, certaintyAB: { r, c in r == c ? 0.8 : 0 }, certaintyBA: { _, _ in 0 })
        for mode in SamplingOptions.Mode.allCases {
            let m = try sampleMatches(from: warp, options: SamplingOptions(count: 100, mode: mode))
            #expect(m.count == 8)
            #expect(Set(m.pointsA).count == 8, "diagonal cells have distinct coordinates")
        }
    }

    @Test func outputArtifactCarriesTheSeedAndParameters() throws {
        let warp = SyntheticWarp.projective(width: 32, height: 32)
        let options = SamplingOptions(count: 50, seed: 42)
        var artifact = try sampleMatches(from: warp, options: options).artifact
        try artifact.stamp(options.record, inputs: [])
        let path = TestPaths.scratch("sampling") + "/m.safetensors"
        try artifact.write(to: path)
        let back = try Artifact.read(path, expecting: .matches)
        #expect(back.metadata["seed"] == "42")
        #expect(back.params["mode"] as? String == "threshold_balanced")
        #expect(back.params["num"] as? Int == 50)
        #expect(try Matches(back).count == 50)
    }
}
