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
}
