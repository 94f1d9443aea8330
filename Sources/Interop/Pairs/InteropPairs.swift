import Artifacts
import Evaluation
import Foundation
import ImageIO

/// One image pair as the interop commands see it: an id (names the per-pair
/// artifacts), the two image names as hloc and COLMAP know them (paths relative to
/// the image folder), and what the pair list says about the cameras.
public struct InteropPair: Sendable {
    public var id: String
    public var nameA: String
    public var nameB: String
    /// Row-major 3×3 in the images' own pixels, when the list gives them.
    public var intrinsicsA: [Double]?
    public var intrinsicsB: [Double]?
    public var sizeA: (width: Int, height: Int)?
    public var sizeB: (width: Int, height: Int)?
}

/// The pairs of a run, from any of three files:
/// - a benchmark manifest (`pairs.json` from `roma evaluate prepare`): ids, names relative
///   to its root, intrinsics and image sizes;
/// - our pair list (`[id=NAME] image_a image_b K_a(9) K_b(9) T_ab(16)`): ids and intrinsics;
/// - hloc's pair file (`name0 name1` per line): ids are line ordinals 0000, 0001, …,
///   cameras unknown.
public struct InteropPairs: Sendable {
    public var pairs: [InteropPair]
    /// The folder image names are relative to.
    public var imageRoot: String
    public var source: String

    public init(pairs: [InteropPair], imageRoot: String, source: String) {
        self.pairs = pairs
        self.imageRoot = imageRoot
        self.source = source
    }

    public static func read(_ path: String, imageRoot: String? = nil) throws -> InteropPairs {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ArtifactError(file: path, "pair list not found or not readable text")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if path.hasSuffix(".json") {
            let manifest = try BenchmarkManifest.read(path)
            let root = manifest.root
            func relative(_ p: String) -> String { p.hasPrefix(root + "/") ? String(p.dropFirst(root.count + 1)) : p }
            return InteropPairs(pairs: manifest.pairs.map {
                InteropPair(id: $0.id, nameA: relative($0.imageA), nameB: relative($0.imageB), intrinsicsA: $0.intrinsicsA,
                            intrinsicsB: $0.intrinsicsB, sizeA: ($0.widthA, $0.heightA), sizeB: ($0.widthB, $0.heightB))
            }, imageRoot: imageRoot ?? root, source: path)
        }
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if let first = lines.first, first.split(whereSeparator: { $0 == " " || $0 == "\t" }).count == 2 {
            var pairs: [InteropPair] = []
            for (k, line) in lines.enumerated() {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard fields.count == 2 else {
                    throw ArtifactError(file: path, "line \(k + 1) of the hloc pair file has \(fields.count) fields, expected `name0 name1`")
                }
                pairs.append(InteropPair(id: String(format: "%04d", k), nameA: fields[0], nameB: fields[1]))
            }
            return InteropPairs(pairs: pairs, imageRoot: imageRoot ?? folder, source: path)
        }
        let records: [PairRecord]
        do { records = try PairList.parse(text, source: path) } catch let error as DatasetError {
            throw ArtifactError(file: path, "not a manifest, pair list or hloc pair file: \(error.message)")
        }
        return InteropPairs(pairs: records.map {
            InteropPair(id: $0.id, nameA: $0.imageA, nameB: $0.imageB, intrinsicsA: $0.intrinsicsA, intrinsicsB: $0.intrinsicsB)
        }, imageRoot: imageRoot ?? folder, source: path)
    }

    /// Every image once, in order of first appearance.
    public var imageNames: [String] {
        var seen = Set<String>()
        return pairs.flatMap { [$0.nameA, $0.nameB] }.filter { seen.insert($0).inserted }
    }

    /// Image sizes from the list, else from the image files' headers.
    public func imageSizes() throws -> [String: (width: Int, height: Int)] {
        var sizes: [String: (width: Int, height: Int)] = [:]
        for p in pairs {
            if let s = p.sizeA { sizes[p.nameA] = s }
            if let s = p.sizeB { sizes[p.nameB] = s }
        }
        for name in imageNames where sizes[name] == nil {
            let file = name.hasPrefix("/") ? name : imageRoot + "/" + name
            do { sizes[name] = try ImageHeader.size(of: file) } catch let error as ArtifactError {
                throw ArtifactError(file: source, "needs the size of every image: \(error.description) (give --images DIR, the folder the names are relative to)")
            }
        }
        return sizes
    }

    /// Intrinsics per image from the list (the first pair naming the image wins).
    public var imageIntrinsics: [String: [Double]] {
        var result: [String: [Double]] = [:]
        for p in pairs {
            if result[p.nameA] == nil, let k = p.intrinsicsA { result[p.nameA] = k }
            if result[p.nameB] == nil, let k = p.intrinsicsB { result[p.nameB] = k }
        }
        return result
    }
}
