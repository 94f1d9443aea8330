import Artifacts
import Foundation

/// Writes a COLMAP `database.db` (SQLite) from merged matches: cameras, images,
/// keypoints, matches and two-view geometries, in the table layout COLMAP has used
/// since 3.x (`src/colmap/scene/database_sqlite.cc`). Current COLMAP opens such a
/// file and adds its newer tables (rigs, frames) itself, one trivial rig per camera.
///
/// Layout facts this relies on: image ids start at 1; a pair's id is
/// `id1 · 2147483647 + id2` with id1 < id2, and its matches are stored in that order;
/// blobs are little-endian and row-major (keypoints N × 2 float32, matches N × 2
/// uint32, E and F 3 × 3 float64, qvec w x y z and tvec float64, camera parameters
/// float64); `config` is 2 (CALIBRATED, E) or 3 (UNCALIBRATED, F). Pixel coordinates
/// put the top-left pixel's centre at (0.5, 0.5), as `roma.matches/1` does, so
/// keypoints and F go in unchanged.
public enum Colmap {
    /// COLMAP camera model ids.
    public enum CameraModel: Int64, Sendable { case simplePinhole = 0, pinhole = 1, simpleRadial = 2 }

    /// A camera row: from the pair list's intrinsics (PINHOLE fx fy cx cy) or, when
    /// the list has none, COLMAP's own default guess (SIMPLE_RADIAL, f = 1.2 · max(W, H),
    /// principal point at the image centre, k = 0), marked as having no focal prior.
    public struct Camera: Sendable, Equatable {
        public var model: CameraModel
        public var width: Int
        public var height: Int
        public var params: [Double]
        public var priorFocalLength: Bool

        public static func from(intrinsics K: [Double]?, width: Int, height: Int) -> Camera {
            if let K {
                return Camera(model: .pinhole, width: width, height: height, params: [K[0], K[4], K[2], K[5]], priorFocalLength: true)
            }
            return Camera(model: .simpleRadial, width: width, height: height,
                          params: [1.2 * Double(max(width, height)), Double(width) / 2, Double(height) / 2, 0], priorFocalLength: false)
        }
    }

    static let maxImages: Int64 = 2_147_483_647

    public static func pairID(_ id1: Int64, _ id2: Int64) -> Int64 {
        let (a, b) = id1 < id2 ? (id1, id2) : (id2, id1)
        return a * maxImages + b
    }

    static let schema = """
        CREATE TABLE cameras (camera_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, model INTEGER NOT NULL,
            width INTEGER NOT NULL, height INTEGER NOT NULL, params BLOB, prior_focal_length INTEGER NOT NULL);
        CREATE TABLE images (image_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name TEXT NOT NULL UNIQUE,
            camera_id INTEGER NOT NULL, CONSTRAINT image_id_check CHECK(image_id >= 0 and image_id < 2147483647),
            FOREIGN KEY(camera_id) REFERENCES cameras(camera_id));
        CREATE UNIQUE INDEX index_name ON images(name);
        CREATE TABLE keypoints (image_id INTEGER PRIMARY KEY NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB,
            FOREIGN KEY(image_id) REFERENCES images(image_id) ON DELETE CASCADE);
        CREATE TABLE descriptors (image_id INTEGER PRIMARY KEY NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB,
            FOREIGN KEY(image_id) REFERENCES images(image_id) ON DELETE CASCADE);
        CREATE TABLE matches (pair_id INTEGER PRIMARY KEY NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB);
        CREATE TABLE two_view_geometries (pair_id INTEGER PRIMARY KEY NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL,
            data BLOB, config INTEGER NOT NULL, F BLOB, E BLOB, H BLOB, qvec BLOB, tvec BLOB);
        """

    /// What an export wrote, for the command's summary.
    public struct Summary: Sendable {
        public var images: Int
        public var keypoints: Int
        public var matches: Int
        public var geometries: Int
        public var guessedCameras: Int
    }

    /// Writes `database` atomically. An existing file is replaced only when it is a
    /// COLMAP database holding no images other than these (a rerun); anything else is
    /// refused, so a user's reconstruction database is never mixed with ours.
    @discardableResult
    public static func export(_ merged: MergedMatches, sizes: [String: (width: Int, height: Int)], to database: String) throws -> Summary {
        let names = merged.pairs.imageNames
        try checkReplaceable(database, names: Set(names))
        let folder = URL(fileURLWithPath: database).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temp = AtomicOutput.temporaryPath(for: database)
        defer { try? FileManager.default.removeItem(atPath: temp) }
        try? FileManager.default.removeItem(atPath: temp)
        let db = try SQLiteDatabase(path: temp)
        try db.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;")
        try db.execute(schema)

        let intrinsics = merged.pairs.imageIntrinsics
        var ids: [String: Int64] = [:]
        var summary = Summary(images: names.count, keypoints: 0, matches: 0, geometries: 0, guessedCameras: 0)
        for (k, name) in names.enumerated() {
            let id = Int64(k + 1)
            ids[name] = id
            guard let size = sizes[name] else { throw ArtifactError(file: merged.pairs.source, "no image size for \(name)") }
            let camera = Camera.from(intrinsics: intrinsics[name], width: size.width, height: size.height)
            if !camera.priorFocalLength { summary.guessedCameras += 1 }
            try db.run("INSERT INTO cameras VALUES (?, ?, ?, ?, ?, ?)",
                       [.integer(id), .integer(camera.model.rawValue), .integer(Int64(camera.width)), .integer(Int64(camera.height)),
                        .blob(camera.params), .integer(camera.priorFocalLength ? 1 : 0)])
            try db.run("INSERT INTO images VALUES (?, ?, ?)", [.integer(id), .text(name), .integer(id)])
            let points = (merged.keypoints[name] ?? []).map { Float($0) }
            summary.keypoints += points.count / 2
            try db.run("INSERT INTO keypoints VALUES (?, ?, ?, ?)", [.integer(id), .integer(Int64(points.count / 2)), .integer(2), .blob(points)])
        }

        var seenPairs = Set<Int64>()
        for pair in merged.merged {
            let (idA, idB) = (ids[pair.pair.nameA]!, ids[pair.pair.nameB]!)
            guard idA != idB else { throw ArtifactError(file: merged.pairs.source, "pair '\(pair.pair.id)' matches \(pair.pair.nameA) with itself") }
            let pairID = pairID(idA, idB)
            guard seenPairs.insert(pairID).inserted else {
                throw ArtifactError(file: merged.pairs.source, "pair '\(pair.pair.id)' repeats images \(pair.pair.nameA), \(pair.pair.nameB): COLMAP keeps one entry per image pair")
            }
            let swap = idA > idB
            func rows(_ list: [(a: Int32, b: Int32, certainty: Double)]) -> [UInt32] {
                list.flatMap { swap ? [UInt32($0.b), UInt32($0.a)] : [UInt32($0.a), UInt32($0.b)] }
            }
            try db.run("INSERT INTO matches VALUES (?, ?, ?, ?)",
                       [.integer(pairID), .integer(Int64(pair.matches.count)), .integer(2), .blob(rows(pair.matches))])
            summary.matches += pair.matches.count
            guard let pose = pair.pose, pose.succeeded else { continue }
            let inliers = zip(pair.matches, pair.inliers).filter { $0.1 }.map { $0.0 }
            let geometry = TwoViewGeometry(pose, swapped: swap)
            try db.run("INSERT INTO two_view_geometries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [.integer(pairID), .integer(Int64(inliers.count)), .integer(2), .blob(rows(inliers)), .integer(geometry.config),
                        geometry.F.map { .blob($0) } ?? .null, geometry.E.map { .blob($0) } ?? .null, .null,
                        geometry.qvec.map { .blob($0) } ?? .null, geometry.tvec.map { .blob($0) } ?? .null])
            summary.geometries += 1
        }
        try db.execute("COMMIT;")
        db.close()
        try AtomicOutput.moveIntoPlace(temp, database)
        return summary
    }

    /// Refuses to replace anything but a COLMAP database holding only `names`.
    static func checkReplaceable(_ database: String, names: Set<String>) throws {
        guard FileManager.default.fileExists(atPath: database) else { return }
        let existing: [String]
        do {
            let db = try SQLiteDatabase(path: database, readOnly: true)
            defer { db.close() }
            existing = try db.run("SELECT name FROM images").compactMap { if case .text(let name) = $0.first { return name } else { return nil } }
        } catch {
            throw ArtifactError(file: database, "exists and is not a COLMAP database this export may replace; remove it or choose another path")
        }
        let others = existing.filter { !names.contains($0) }
        if !others.isEmpty {
            throw ArtifactError(file: database, "already holds \(others.count) other image(s) (e.g. \(others.prefix(3).joined(separator: ", "))); "
                + "refusing to replace it: export to a new path")
        }
    }

    /// A pose estimate as COLMAP's two-view geometry of (image1, image2) with
    /// id1 < id2: when our A is COLMAP's image2, E and F transpose and the pose inverts.
    struct TwoViewGeometry {
        var config: Int64
        var E: [Double]?
        var F: [Double]?
        var qvec: [Double]?
        var tvec: [Double]?

        init(_ pose: PoseResult, swapped: Bool) {
            let M = swapped ? transpose(pose.matrix) : pose.matrix
            switch pose.model {
            case .fundamental:
                config = 3
                F = M
            case .essential:
                config = 2
                E = M
                var R = pose.rotation, t = pose.translation
                if swapped {
                    R = transpose(R)
                    t = (0..<3).map { i in -(0..<3).reduce(0) { $0 + R[i * 3 + $1] * t[$1] } }
                }
                qvec = quaternion(R)
                tvec = t
            }
        }
    }

    static func transpose(_ m: [Double]) -> [Double] { [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]] }

    /// Unit quaternion (w, x, y, z) of a row-major rotation, w ≥ 0.
    static func quaternion(_ R: [Double]) -> [Double] {
        let trace = R[0] + R[4] + R[8]
        var q: [Double]
        if trace > 0 {
            let s = 2 * (trace + 1).squareRoot()
            q = [s / 4, (R[7] - R[5]) / s, (R[2] - R[6]) / s, (R[3] - R[1]) / s]
        } else if R[0] > R[4], R[0] > R[8] {
            let s = 2 * (1 + R[0] - R[4] - R[8]).squareRoot()
            q = [(R[7] - R[5]) / s, s / 4, (R[1] + R[3]) / s, (R[2] + R[6]) / s]
        } else if R[4] > R[8] {
            let s = 2 * (1 + R[4] - R[0] - R[8]).squareRoot()
            q = [(R[2] - R[6]) / s, (R[1] + R[3]) / s, s / 4, (R[5] + R[7]) / s]
        } else {
            let s = 2 * (1 + R[8] - R[0] - R[4]).squareRoot()
            q = [(R[3] - R[1]) / s, (R[2] + R[6]) / s, (R[5] + R[7]) / s, s / 4]
        }
        if q[0] < 0 { q = q.map { -$0 } }
        let norm = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return q.map { $0 / norm }
    }
}
