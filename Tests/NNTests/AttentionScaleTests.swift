import NN
import Testing

/// The attention scale as torch computes it: (float)(1.0 / sqrt((double)d)).
struct AttentionScaleTests {
    @Test func matchesTorchForEveryHeadWidthTo512() throws {
        var twiceRoundedDiffers = 0
        for d in 1...512 {
            let scale = attentionScale(headWidth: d)
            // torch's formula, spelled out.
            #expect(scale == Float(1.0 / Double(d).squareRoot()), "d = \(d)")
            // Independently of any square root: the float nearest 1/√d, checked exactly.
            #expect(try Self.isNearestToInverseRoot(scale, d), "d = \(d): \(scale) is not the float nearest 1/√\(d)")
            if scale != 1 / Float(d).squareRoot() { twiceRoundedDiffers += 1 }
        }
        // The old formula differs at 151 widths (so the checks above can tell the two apart),
        // but not at ViT-L/B's 64 or the match decoder's 128: outputs there are unchanged.
        #expect(twiceRoundedDiffers == 151)
        for d in [64, 128] { #expect(attentionScale(headWidth: d) == 1 / Float(d).squareRoot()) }
    }

    /// Whether x is the float nearest 1/√d: the midpoints m between x and each neighbour
    /// bracket 1/√d, m₋² · d < 1 < m₊² · d. A midpoint has 25 significant bits, so
    /// m = M · 2^(p − 24) with p its exponent and M = significand · 2^24 an integer below
    /// 2^25; then m² · d < 1 ⇔ M² · d < 2^(48 − 2p): exact in UInt64 for d ≤ 512.
    static func isNearestToInverseRoot(_ x: Float, _ d: Int) throws -> Bool {
        func belowOne(_ m: Double) throws -> Bool? {   // nil: m² · d == 1
            let mantissa = try #require(UInt64(exactly: m.significand * 16_777_216), "midpoint \(m) has over 25 bits")
            let lhs = mantissa * mantissa * UInt64(d), rhs = UInt64(1) << UInt64(48 - 2 * Int(m.exponent))
            return lhs == rhs ? nil : lhs < rhs
        }
        let lower = (Double(x.nextDown) + Double(x)) / 2, upper = (Double(x) + Double(x.nextUp)) / 2
        return try belowOne(lower) == true && belowOne(upper) == false
    }
}
