/// The kind and version of an artifact, written as `name/version` in the
/// `schema` metadata key, e.g. `roma.decoded/1`. Every schema is described in
/// docs/artifacts.md.
public struct Schema: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let version: Int

    public init(_ name: String, version: Int) {
        self.name = name
        self.version = version
    }

    /// Parses `name/version`; nil when the text is not of that form.
    public init?(parsing text: String) {
        guard let slash = text.lastIndex(of: "/"),
              let version = Int(text[text.index(after: slash)...]), version >= 0 else { return nil }
        let name = String(text[..<slash])
        guard !name.isEmpty else { return nil }
        self.init(name, version: version)
    }

    public var description: String { "\(name)/\(version)" }

    public static let decoded = Schema("roma.decoded", version: 1)
    public static let warp = Schema("roma.warp", version: 2)
    /// The first warp layout (float32 certainties), still read.
    public static let warpFloat32Certainty = Schema("roma.warp", version: 1)
    /// RoMa v2's warp: overlap and a 2×2 precision per cell (`PrecisionWarp`).
    public static let warpOverlap = Schema("roma.warp", version: 3)
    public static let matches = Schema("roma.matches", version: 1)
    public static let pose = Schema("roma.pose", version: 1)
    public static let results = Schema("roma.results", version: 1)
}
