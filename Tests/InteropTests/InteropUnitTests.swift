import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Interop

@Suite("Interop building blocks")
struct InteropUnitTests {
    @Test("hloc pair names replace '/' in image names, new and old forms")
    func pairNames() {
        #expect(Hloc.pairName("scene/a.jpg", "b.jpg") == "scene-a.jpg/b.jpg")
        #expect(Hloc.oldPairName("scene/a.jpg", "b.jpg") == "scene-a.jpg_b.jpg")
    }

    @Test("HDF5: what we write reads back with its type and shape; a wrong kind is named")
    func hdf5RoundTrip() throws {
        let path = TestPaths.scratch("h5") + "/t.h5"
        let file = try HDF5File.create(path)
        try file.write("img/sub.png/keypoints", [0, 0.5, 639.5, 479.25] as [Float], shape: [2, 2])
        try file.write("a/b/matches0", [1, -1, 0] as [Int32], shape: [3])
        try file.finish()
        let read = try HDF5File.open(path)
        #expect(read.isGroup("img/sub.png") && !read.isGroup("img/sub.png/keypoints") && !read.exists("nothing/here"))
        let (points, info) = try read.readDoubles("img/sub.png/keypoints")
        #expect(points == [0, 0.5, 639.5, 479.25] && info == .init(kind: .float, size: 4, shape: [2, 2]))
        #expect(try read.readIntegers("a/b/matches0").values == [1, -1, 0])
        #expect(throws: ArtifactError.self) { try read.readDoubles("a/b/matches0") }
        #expect(try read.members(of: "a") == ["b"])
    }

    @Test("hloc's convention is ours − 0.5: a keypoint on the top-left pixel centre imports at (0.5, 0.5)")
    func pixelConvention() throws {
        let folder = TestPaths.scratch("h5conv")
        let f = try HDF5File.create(folder + "/features.h5")
        try f.write("a.png/keypoints", [0, 0, 9, 4] as [Float], shape: [2, 2])
        try f.write("b.png/keypoints", [2, 3] as [Float], shape: [1, 2])
        try f.finish()
        let m = try HDF5File.create(folder + "/matches.h5")
        try m.write("a.png/b.png/matches0", [0, -1] as [Int32], shape: [2])
        try m.finish()
        let reader = try Hloc.Reader(features: folder + "/features.h5", matches: folder + "/matches.h5")
        let (matches, found) = try reader.read(InteropPair(id: "p", nameA: "a.png", nameB: "b.png"))
        #expect(matches.pointsA == [0.5, 0.5] && matches.pointsB == [2.5, 3.5] && found.layout == .sparse && !found.reversed)
        // Read the other way round, the same group serves, reversed.
        let (back, foundBack) = try reader.read(InteropPair(id: "q", nameA: "b.png", nameB: "a.png"))
        #expect(back.pointsA == [2.5, 3.5] && back.pointsB == [0.5, 0.5] && foundBack.reversed)
    }

    @Test("keypoints snap to cell centres (≤ cell/2 per axis) and merge; conflicts keep the most certain match")
    func merging() {
        var merger = KeypointMerger(cellSize: 1)
        // Two pairs sharing image a: (10.2, 5.9) and (10.9, 5.1) lie in pixel (10, 5).
        let p1 = merger.add(imageA: "a", imageB: "b", matches: Matches(pointsA: [10.2, 5.9, 3.0, 3.0], pointsB: [1.1, 1.1, 7.7, 7.7], certainty: [0.9, 0.8]))
        let p2 = merger.add(imageA: "a", imageB: "c", matches: Matches(pointsA: [10.9, 5.1, .nan, 1], pointsB: [4.4, 4.4, 2, 2], certainty: nil))
        #expect(merger.keypoints["a"] == [10.5, 5.5, 3.5, 3.5])
        #expect(p1.indices[0]!.a == p2.indices[0]!.a, "a track across pairs")
        #expect(p2.indices[1] == nil && p2.kept == [0], "a non-finite match is dropped")
        // Within a pair, two matches on the same keypoint of b: the more certain one stays.
        let p3 = merger.add(imageA: "b", imageB: "d", matches: Matches(pointsA: [1.2, 1.4, 1.3, 1.6], pointsB: [5, 5, 9, 9], certainty: [0.2, 0.7]))
        #expect(p3.kept == [1])
        var exact = KeypointMerger(cellSize: 0)
        _ = exact.add(imageA: "a", imageB: "b", matches: Matches(pointsA: [1.25, 2.5, 1.25, 2.5], pointsB: [3, 4, 5, 6]))
        #expect(exact.keypoints["a"] == [1.25, 2.5, 1.25, 2.5], "cell 0: nothing moves or merges")
    }

    @Test("COLMAP pair ids, quaternions, and a pair stored in COLMAP's order (E transposed, pose inverted)")
    func colmapGeometry() {
        #expect(Colmap.pairID(1, 2) == 2_147_483_649 && Colmap.pairID(2, 1) == 2_147_483_649)
        // A rotation of 0.3 rad about (1, 2, 2)/3.
        let axis = [1.0 / 3, 2.0 / 3, 2.0 / 3], angle = 0.3
        let (c, s) = (cos(angle), sin(angle))
        var R = [Double](repeating: 0, count: 9)
        let K = [0, -axis[2], axis[1], axis[2], 0, -axis[0], -axis[1], axis[0], 0]
        for i in 0..<3 { for j in 0..<3 {
            R[i * 3 + j] = (i == j ? c : 0) + (1 - c) * axis[i] * axis[j] + s * K[i * 3 + j]
        } }
        let q = Colmap.quaternion(R)
        let expected = [cos(angle / 2)] + axis.map { sin(angle / 2) * $0 }
        #expect(zip(q, expected).allSatisfy { abs($0 - $1) < 1e-12 })
        let E = (0..<9).map { Double($0) }
        let pose = PoseResult(rotation: R, translation: [0.6, 0, 0.8], model: .essential, matrix: E, inliers: [], status: "ok", iterations: 1, score: 0)
        let swapped = Colmap.TwoViewGeometry(pose, swapped: true)
        #expect(swapped.E == Colmap.transpose(E) && swapped.config == 2)
        // Inverse pose: q conjugated, t' = −Rᵀ t.
        #expect(zip(swapped.qvec!, [expected[0]] + expected.dropFirst().map { -$0 }).allSatisfy { abs($0 - $1) < 1e-12 })
        let t = [0.6, 0, 0.8]
        let tInverse = (0..<3).map { i in -(0..<3).reduce(0.0) { $0 + R[$1 * 3 + i] * t[$1] } }
        #expect(zip(swapped.tvec!, tInverse).allSatisfy { abs($0 - $1) < 1e-12 })
        let fundamental = Colmap.TwoViewGeometry(PoseResult(rotation: R, translation: t, model: .fundamental, matrix: E, inliers: [],
                                                            status: "ok", iterations: 1, score: 0), swapped: false)
        #expect(fundamental.config == 3 && fundamental.F == E && fundamental.qvec == nil)
    }

    @Test("HDF5 is loaded on first use only: roma starts without it, and a missing library is named (exit 1)", .enabled(if: RomaCLI.isBuilt))
    func hdf5LoadedLazily() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["LD_DEBUG"] = "libs"
        let start = try RomaCLI.run(["--version"], environment: environment)
        #expect(start.status == 0 && start.stderr.contains("libc.so") && !start.stderr.contains("libhdf5"), "\(start.stderr.suffix(2000))")

        let folder = TestPaths.scratch("h5lazy")
        try "a.jpg b.jpg\n".write(toFile: folder + "/pairs.txt", atomically: true, encoding: .utf8)
        try Data(HDF5File.signature).write(to: URL(fileURLWithPath: folder + "/matches.h5"))
        environment = ProcessInfo.processInfo.environment
        environment["ROMA_HDF5_LIBRARY"] = folder + "/missing/libhdf5.so"
        let r = try RomaCLI.run(["import", "hloc", "--matches", folder + "/matches.h5", "--pairs", folder + "/pairs.txt", "-o", folder + "/out"],
                                environment: environment)
        #expect(r.status == 1 && r.stderr.contains("cannot load ROMA_HDF5_LIBRARY=" + folder + "/missing/libhdf5.so"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }
}
