/// The pretrained checkpoints RoMa needs, as romatch 0.1.2's model zoo names them
/// (romatch/models/model_zoo/__init__.py): two RoMa matchers and the DINOv2
/// ViT-L/14 encoder, which RoMa's checkpoints do not contain; Tiny RoMa v1 and
/// the XFeat checkpoint romatch's `tiny_roma_v1_outdoor` loads through torch.hub
/// before the Tiny RoMa state dict (which holds XFeat again, under `xfeat.0.`);
/// RoMa v2 (romav2 2.0.1, `RoMaV2.__init__`), whose one file holds its DINOv3 too.
public enum OfficialWeights: String, CaseIterable, Sendable {
    case outdoor, indoor, dinov2, tiny, xfeat, romav2

    public var fileName: String {
        switch self {
        case .outdoor: return "roma_outdoor.pth"
        case .indoor: return "roma_indoor.pth"
        case .dinov2: return "dinov2_vitl14_pretrain.pth"
        case .tiny: return "tiny_roma_v1_outdoor.pth"
        case .xfeat: return "xfeat.pt"
        case .romav2: return "romav2.0.1.pt"
        }
    }

    public var url: String {
        switch self {
        case .outdoor: return "https://github.com/Parskatt/storage/releases/download/roma/roma_outdoor.pth"
        case .indoor: return "https://github.com/Parskatt/storage/releases/download/roma/roma_indoor.pth"
        case .dinov2: return "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth"
        case .tiny: return "https://github.com/Parskatt/storage/releases/download/roma/tiny_roma_v1_outdoor.pth"
        // accelerated_features' hubconf.py, which romatch's torch.hub.load runs.
        case .xfeat: return "https://github.com/verlab/accelerated_features/raw/main/weights/xfeat.pt"
        // romav2 2.0.1, romav2/romav2.py: RoMaV2.__init__'s load_state_dict_from_url.
        case .romav2: return "https://github.com/Parskatt/RoMaV2/releases/download/v2.0.1/romav2.0.1.pt"
        }
    }

    /// The model the file belongs to, for messages.
    public var modelName: String {
        switch self {
        case .outdoor: return "RoMa v1 outdoor"
        case .indoor: return "RoMa v1 indoor"
        case .dinov2: return "DINOv2 ViT-L/14"
        case .tiny: return "Tiny RoMa v1"
        case .xfeat: return "XFeat"
        case .romav2: return "RoMa v2"
        }
    }

    /// Every key and shape the file must hold: what romatch's strict
    /// `load_state_dict` accepts. Both RoMa checkpoints share one architecture.
    public var expectedLayout: [String: [Int]] {
        switch self {
        case .outdoor, .indoor: return Self.romaLayout
        case .dinov2: return Self.dinov2Layout
        case .tiny: return Self.tinyLayout
        case .xfeat: return Self.xfeatLayout
        case .romav2: return Self.romav2Layout
        }
    }

    /// The file's description for the cache: name, URL and layout.
    public var weightFile: WeightFile {
        WeightFile(name: fileName, url: url, expectedLayout: expectedLayout, integerKeys: self == .romav2 ? Self.romav2IntegerKeys : nil)
    }

    private static let romaLayout = try! LayoutTable.parse(romaLayoutTable)
    private static let dinov2Layout = try! LayoutTable.parse(dinov2LayoutTable)
    private static let tinyLayout = try! LayoutTable.parse(tinyLayoutTable)
    private static let xfeatLayout = try! LayoutTable.parse(xfeatLayoutTable)
    private static let romav2Layout = try! LayoutTable.parse(romav2LayoutTable)
}

/// One file a cache holds: where it comes from and what it must contain.
public struct WeightFile: Sendable {
    public let name: String
    public let url: String
    public let expectedLayout: [String: [Int]]
    /// Keys holding integers; nil means BatchNorm's `num_batches_tracked` (see `StateDict.validate`).
    public let integerKeys: Set<String>?

    public init(name: String, url: String, expectedLayout: [String: [Int]], integerKeys: Set<String>? = nil) {
        self.name = name
        self.url = url
        self.expectedLayout = expectedLayout
        self.integerKeys = integerKeys
    }
}

/// Reads the compact layout tables of OfficialLayouts.swift: `pattern shape` per
/// line, where each `{a..b}` in the pattern stands for every integer a…b, and
/// the shape is `AxBxC` or `-` for a scalar.
enum LayoutTable {
    struct Malformed: Error { let line: String }

    static func parse(_ text: String) throws -> [String: [Int]] {
        var layout: [String: [Int]] = [:]
        for raw in text.split(separator: "\n") {
            let fields = raw.split(separator: " ")
            guard fields.count == 2 else { throw Malformed(line: String(raw)) }
            let shape: [Int]
            if fields[1] == "-" {
                shape = []
            } else {
                let dims = fields[1].split(separator: "x").compactMap { Int($0) }
                guard dims.count == fields[1].split(separator: "x").count else { throw Malformed(line: String(raw)) }
                shape = dims
            }
            for key in try expand(String(fields[0])) { layout[key] = shape }
        }
        return layout
    }

    static func expand(_ pattern: String) throws -> [String] {
        guard let open = pattern.firstIndex(of: "{") else { return [pattern] }
        guard let close = pattern[open...].firstIndex(of: "}") else { throw Malformed(line: pattern) }
        let bounds = pattern[pattern.index(after: open)..<close].components(separatedBy: "..")
        guard bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low <= high else {
            throw Malformed(line: pattern)
        }
        let head = pattern[..<open]
        let tails = try expand(String(pattern[pattern.index(after: close)...]))
        return (low...high).flatMap { n in tails.map { head + String(n) + $0 } }
    }
}
