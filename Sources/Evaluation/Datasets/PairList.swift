import Artifacts
import Foundation

/// One line of a pair list: two images with intrinsics and the relative pose.
public struct PairRecord: Sendable, Equatable {
    public var id: String
    public var imageA: String
    public var imageB: String
    /// Row-major 3×3 intrinsics of each image's own (original) pixel grid.
    public var intrinsicsA: [Double]
    public var intrinsicsB: [Double]
    /// Row-major 3×3 rotation and translation from A's camera frame to B's: x_B = R x_A + t.
    public var rotation: [Double]
    public var translation: [Double]
}

/// The pair-list text format (popularised by SuperGlue): one pair per line,
/// `image_a image_b K_a(9) K_b(9) T_ab(16)`, numbers row-major, T_ab the 4×4 transform
/// from A's camera frame to B's. Also accepted: SuperGlue's form with two EXIF rotation
/// columns after the names (only when both are 0), an optional leading `id=NAME`
/// column, blank lines and `#` comments. Pairs without an id get their line's ordinal
/// (0000, 0001, …).
public enum PairList {
    public static func read(_ path: String) throws -> [PairRecord] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw DatasetError("\(path): is a folder, expected a pair list")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DatasetError("\(path): pair list not found or not readable text")
        }
        return try parse(text, source: path)
    }

    public static func parse(_ text: String, source: String) throws -> [PairRecord] {
        var pairs: [PairRecord] = []
        var seen = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let lineNumber = index + 1
            func fail(_ problem: String) -> DatasetError { DatasetError("\(source):\(lineNumber): \(problem)") }
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            var id = String(format: "%04d", pairs.count)
            if let first = fields.first, first.hasPrefix("id=") {
                id = String(first.dropFirst(3))
                fields.removeFirst()
                guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
                    throw fail("pair id '\(id)' may only hold letters, digits, '.', '_' and '-'")
                }
            }
            if fields.count == 38 {
                guard fields[2] == "0", fields[3] == "0" else {
                    throw fail("EXIF rotation columns \(fields[2]) \(fields[3]) are not supported; rotate the images and give 0 0")
                }
                fields.removeSubrange(2...3)
            }
            guard fields.count == 36 else {
                throw fail("expected image_a image_b K_a(9) K_b(9) T_ab(16) = 36 fields, found \(fields.count)")
            }
            var numbers: [Double] = []
            for (k, field) in fields[2...].enumerated() {
                guard let v = DecimalNumber.parse(field) else {
                    throw fail("field \(k + 3) '\(ArtifactError.excerpt(field))' is not a plain decimal number (e.g. 0.5, -2, 1e-3)")
                }
                numbers.append(v)
            }
            let kA = Array(numbers[0..<9]), kB = Array(numbers[9..<18]), T = Array(numbers[18..<34])
            for (name, K) in [("K_a", kA), ("K_b", kB)] {
                guard K[0] > 0, K[4] > 0, K[3] == 0, K[6] == 0, K[7] == 0, K[8] == 1 else {
                    throw fail("\(name) must be [fx s cx; 0 fy cy; 0 0 1] with fx, fy > 0")
                }
                guard K[1] == 0 else { throw fail("\(name) has skew \(K[1]); the estimator takes fx, fy, cx, cy only") }
            }
            guard T[12] == 0, T[13] == 0, T[14] == 0, T[15] == 1 else { throw fail("T_ab's last row must be 0 0 0 1") }
            let R = [T[0], T[1], T[2], T[4], T[5], T[6], T[8], T[9], T[10]]
            guard isRotation(R) else { throw fail("T_ab's upper-left 3×3 is not a rotation (RᵀR ≠ I or det ≠ 1)") }
            guard !isDegenerateTranslation([T[3], T[7], T[11]]) else {
                throw fail("T_ab's translation is (nearly) zero: the direction the pose error measures is undefined, "
                    + "so this pair cannot be scored; remove it (docs/bad-input.md)")
            }
            guard seen.insert(id).inserted else { throw fail("pair id '\(id)' appears twice") }
            pairs.append(PairRecord(id: id, imageA: fields[0], imageB: fields[1], intrinsicsA: kA, intrinsicsB: kB,
                                    rotation: R, translation: [T[3], T[7], T[11]]))
        }
        guard !pairs.isEmpty else { throw DatasetError("\(source): no pairs (expected lines of image_a image_b K_a(9) K_b(9) T_ab(16))") }
        return pairs
    }

    /// Serialises pairs in the same format (with ids), e.g. for the synthetic set.
    public static func format(_ pairs: [PairRecord], header: [String] = []) -> String {
        var lines = header.map { "# " + $0 }
        for p in pairs {
            let R = p.rotation, t = p.translation
            let T = [R[0], R[1], R[2], t[0], R[3], R[4], R[5], t[1], R[6], R[7], R[8], t[2], 0, 0, 0, 1]
            let numbers = (p.intrinsicsA + p.intrinsicsB + T).map { "\($0)" }.joined(separator: " ")
            lines.append("id=\(p.id) \(p.imageA) \(p.imageB) \(numbers)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Ground truth with |t| below this has no direction to compare an estimate with.
    /// The committed MegaDepth-1500 and ScanNet-1500 lists have |t| ≥ 0.0029.
    public static let minimumTranslationNorm = 1e-6

    public static func isDegenerateTranslation(_ t: [Double]) -> Bool {
        (t[0] * t[0] + t[1] * t[1] + t[2] * t[2]).squareRoot() < minimumTranslationNorm
    }

    // Ground truth from SfM is orthonormal to ~1e-6; a looser check only catches garbage.
    static func isRotation(_ R: [Double]) -> Bool {
        for i in 0..<3 {
            for j in 0..<3 {
                var dot = 0.0
                for k in 0..<3 { dot += R[k * 3 + i] * R[k * 3 + j] }
                if abs(dot - (i == j ? 1 : 0)) > 1e-3 { return false }
            }
        }
        let det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6])
        return abs(det - 1) < 1e-3
    }
}
