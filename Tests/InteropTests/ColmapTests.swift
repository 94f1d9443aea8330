import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Interop

/// COLMAP databases through the real client: pycolmap opens what `roma export colmap`
/// writes and reconstructs the multi-view synthetic scene from it.
@Suite("COLMAP database with pycolmap", .enabled(if: PythonClients.shouldRun, Comment(rawValue: PythonClients.skipReason ?? "needs the built roma executable")))
struct ColmapClientTests {
    /// Camera centres after a similarity alignment, in scene units (metres of the
    /// synthetic room). With exact (oracle) matches snapped to 1-px cells, measured
    /// errors are ~2 mm (max) over a 3.5 m arc of cameras 6 m from the scene; 1 cm
    /// leaves room for COLMAP's randomness while catching a wrong convention, pair
    /// order or two-view geometry, which move centres by decimetres or break mapping.
    static let centreTolerance = 0.01

    @Test("pycolmap's incremental mapping registers every view of `roma synth --views 6`, centres within 1 cm")
    func mapping() throws {
        let folder = TestPaths.scratch("colmap-map")
        let run = try SmallSyntheticRun(folder: folder, views: 6, width: 320, height: 240, num: 2000)
        #expect(run.pairIDs.count == 15)
        let export = try roma(["export", "colmap", "--pairs", run.manifest, "--matches", run.matches, "--poses", run.poses,
                               "-o", folder + "/database.db"])
        try #require(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("6 images") && export.stdout.contains("15 two-view geometries"))
        try FileManager.default.createDirectory(atPath: folder + "/sfm", withIntermediateDirectories: true)
        let check = try PythonClients.run("check_colmap.py", [folder + "/database.db", folder + "/data", folder + "/data/views.txt",
                                                              folder + "/sfm", "\(Self.centreTolerance)"])
        print(check.stdout)
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr.suffix(2000))")
        #expect(check.stdout.contains("registered 6 of 6 views"))
    }

    @Test("a database holding other images, or a foreign file, is refused and left untouched; a rerun replaces ours")
    func refusesForeignDatabase() throws {
        let folder = TestPaths.scratch("colmap-refuse")
        let run = try SmallSyntheticRun(folder: folder)
        let target = folder + "/database.db"
        do {
            let db = try SQLiteDatabase(path: target)
            try db.execute(Colmap.schema)
            try db.run("INSERT INTO cameras VALUES (1, 1, 10, 10, NULL, 0)")
            try db.run("INSERT INTO images VALUES (1, 'someone_else.jpg', 1)")
            db.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: target))
        let arguments = ["export", "colmap", "--pairs", run.manifest, "--matches", run.matches, "--poses", run.poses, "-o", target]
        let refused = try roma(arguments)
        #expect(refused.status == 1 && refused.stderr.contains(target) && refused.stderr.contains("already holds 1 other image"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == before)

        let notDatabase = folder + "/notes.db"
        try Data("my notes\n".utf8).write(to: URL(fileURLWithPath: notDatabase))
        let refusedText = try roma(Array(arguments.dropLast()) + [notDatabase])
        #expect(refusedText.status == 1 && refusedText.stderr.contains("is not a COLMAP database"), "\(refusedText.stderr)")
        #expect(try String(contentsOfFile: notDatabase, encoding: .utf8) == "my notes\n")

        let fresh = folder + "/ours.db"
        #expect(try roma(Array(arguments.dropLast()) + [fresh]).status == 0)
        let rerun = try roma(Array(arguments.dropLast()) + [fresh])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        // pycolmap reads back what was written: images, cameras from the pair list, keypoints.
        let db = try SQLiteDatabase(path: fresh, readOnly: true)
        let cameras = try db.run("SELECT model, width, height, params, prior_focal_length FROM cameras ORDER BY camera_id")
        #expect(cameras.count == 4)
        if case .integer(let model) = cameras[0][0], case .blob(let params) = cameras[0][3] {
            let values = params.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
            #expect(model == 1 && values == [128, 128, 80, 60], "PINHOLE with the synthetic set's K (f = 0.8·W, centre)")
        } else {
            Issue.record("unexpected camera row \(cameras[0])")
        }
    }
}
