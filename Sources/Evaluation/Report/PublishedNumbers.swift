/// Published pose AUCs to print beside a run's own numbers.
public struct PublishedNumbers: Sendable {
    public var method: String
    public var source: String
    /// AUC in percent at 5°, 10°, 20°.
    public var auc: [Double]

    /// RoMa's published results (Edstedt et al., "RoMa: Robust Dense Feature Matching",
    /// CVPR 2024, relative pose tables), for the benchmarks that have them.
    public static func roma(bench: String) -> PublishedNumbers? {
        let source = "Edstedt et al., RoMa: Robust Dense Feature Matching, CVPR 2024"
        switch bench {
        case "megadepth1500": return PublishedNumbers(method: "RoMa (published)", source: source, auc: [62.6, 76.7, 86.3])
        case "scannet1500": return PublishedNumbers(method: "RoMa (published)", source: source, auc: [31.8, 53.4, 70.9])
        default: return nil
        }
    }

    /// RoMa v2's published results: the romav2 2.0.1 README (PyPI long description,
    /// "Expected Results": "ScanNet-1500: [34.0, 56.5, 73.9], Mega-1500: [62.8, 76,8, 86.5]",
    /// the 76,8 a typo for 76.8), close to the paper's tables.
    public static func romaV2(bench: String) -> PublishedNumbers? {
        let source = "Edstedt et al., RoMa v2: Harder Better Faster Denser Feature Matching, 2025; numbers from the romav2 2.0.1 README (Expected Results)"
        switch bench {
        case "megadepth1500": return PublishedNumbers(method: "RoMa v2 (published)", source: source, auc: [62.8, 76.8, 86.5])
        case "scannet1500": return PublishedNumbers(method: "RoMa v2 (published)", source: source, auc: [34.0, 56.5, 73.9])
        default: return nil
        }
    }

    /// Every published row for `bench`, RoMa first, then RoMa v2.
    public static func all(bench: String) -> [PublishedNumbers] {
        [roma(bench: bench), romaV2(bench: bench)].compactMap { $0 }
    }

    /// Footnote mark of the n-th published row (0-based): ¹, ², ³…
    public static func mark(_ n: Int) -> String {
        let marks = ["¹", "²", "³", "⁴", "⁵"]
        return n < marks.count ? marks[n] : "(\(n + 1))"
    }
}
