import Console
import Parallel
import Artifacts
import Foundation
import Geometry

/// The synthetic benchmark: pairs of views of a procedurally textured room with boxes
/// and spheres, rendered with known intrinsics, relative pose, depth and dense
/// ground-truth warp. Needs no download; a seed fixes every pixel.
public enum Synthetic {
    public struct Options: Sendable, Equatable {
        public var pairs: Int = 8
        public var seed: UInt64 = 0
        public var width: Int = 640
        public var height: Int = 480
        /// Grid of the ground-truth warp (RoMa's upsampled output is 864×864).
        public var warpSize: Int = 864
        /// What makes the pairs hard (`roma synth --difficulty`); classic by default.
        public var difficulty: Difficulty = .classic
        public init() {}
    }

    /// `roma.depth/1`: one depth map (camera z, 0 where nothing was hit).
    public static let depthSchema = Schema("roma.depth", version: 1)

    /// Everything about one rendered pair, before it is written.
    public struct RenderedPair: Sendable {
        public var id: String
        public var cameraA: PinholeCamera
        public var cameraB: PinholeCamera
        /// The pixels as stored (after blur, noise and JPEG, when the difficulty has them).
        public var imageA: [UInt8], imageB: [UInt8]
        /// The JPEG files' bytes, when the views are stored as JPEG.
        public var jpegA: Data?, jpegB: Data?
        public var depthA: [Float], depthB: [Float]
        public var warp: Warp
        public var seed: UInt64
        /// The pair's difficulty, drawn and measured (overlap and scale from the warp).
        public var factors: [DifficultyFactor]
        public var record: PairRecord {
            let (R, t) = cameraA.relativePose(to: cameraB)
            return PairRecord(id: id, imageA: "\(id)_a.\(jpegA == nil ? "png" : "jpg")", imageB: "\(id)_b.\(jpegB == nil ? "png" : "jpg")",
                              intrinsicsA: cameraA.intrinsics, intrinsicsB: cameraB.intrinsics, rotation: R, translation: t)
        }
    }

    /// Renders pair `index` of the set fixed by `options.seed`.
    public static func renderPair(index: Int, options: Options) -> RenderedPair {
        let pairSeed = SplitMix64.mix(options.seed &* 0x100_0000_01B3 &+ UInt64(index) &+ 1)
        var rng = SplitMix64(seed: pairSeed)
        func stream(_ k: UInt64) -> SplitMix64 { SplitMix64(seed: SplitMix64.derive(seed: pairSeed, stream: k)) }
        let d = options.difficulty
        let view = PairDesign.viewpoint(makeScene(&rng), d, &rng, occluderSeed: SplitMix64.derive(seed: pairSeed, stream: 1),
                                        width: options.width, height: options.height)
        var scene = view.scene
        let (a, b, inPlane, occluders) = (view.a, view.b, view.inPlane, view.occluders)
        var textureStream = stream(2), lightStream = stream(3), sensorStream = stream(4)
        PairDesign.assignTextures(&scene, d, &textureStream)
        let lighting = PairDesign.lighting(scene, d, &lightStream)
        let sensors = [SensorSettings.draw(d, &sensorStream), SensorSettings.draw(d, &sensorStream)]

        let renders = [(a, ViewMask.a), (b, ViewMask.b)].enumerated().map { k, view in
            Renderer.render(scene, camera: view.0, view: view.1, lighting: lighting.views[k])
        }
        let stored = (0..<2).map { k in
            sensors[k].apply(to: renders[k].rgb, width: options.width, height: options.height, seed: SplitMix64.derive(seed: pairSeed, stream: 5 + UInt64(k)))
        }
        let n = options.warpSize
        let ab = Renderer.warp(scene, from: a, .a, to: b, .b, gridWidth: n, gridHeight: n)
        let ba = Renderer.warp(scene, from: b, .b, to: a, .a, gridWidth: n, gridHeight: n)
        let warp = Warp(width: n, height: n, warpAB: ab.warp, warpBA: ba.warp, certaintyAB: ab.certainty, certaintyBA: ba.certainty,
                        widthA: a.width, heightA: a.height, widthB: b.width, heightB: b.height)

        func covisible(_ c: [Float]) -> Double { c.reduce(0) { $0 + Double($1) } / Double(c.count) }
        let (R, _) = a.relativePose(to: b)
        let rotation = acos(max(-1, min(1, (R[0] + R[4] + R[8] - 1) / 2))) * 180 / .pi
        let scale = ab.scale >= 1 ? ab.scale : 1 / ab.scale
        let factors = [
            DifficultyFactor("rotation", rotation, edges: [15, 30, 45, 60]),
            DifficultyFactor("overlap", min(covisible(ab.certainty), covisible(ba.certainty)), edges: [0.1, 0.3, 0.5, 0.7]),
            DifficultyFactor("scale", scale, edges: [1.5, 2, 3]),
            DifficultyFactor("in_plane", inPlane, edges: [10, 20, 30, 45]),
            DifficultyFactor("light", lighting.light, edges: [30, 60, 90]),
            DifficultyFactor("exposure", lighting.exposure, edges: [0.5, 1]),
            DifficultyFactor("white_balance", lighting.whiteBalance, edges: [0.05, 0.1, 0.2]),
            DifficultyFactor("weak_texture", (renders[0].weakTexture + renders[1].weakTexture) / 2, edges: [0.25, 0.5, 0.75]),
            DifficultyFactor("noise", sensors.map(\.noise).max()!, edges: [2, 4]),
            DifficultyFactor("blur", sensors.map(\.blur).max()!, edges: [0.5, 1]),
            DifficultyFactor("jpeg_quality", Double(sensors.map { $0.jpegQuality ?? 100 }.min()!), edges: [50, 70, 90]),
            DifficultyFactor(name: "occluders", value: Double(occluders), bin: occluders >= 3 ? "≥3" : String(occluders)),
        ]
        return RenderedPair(id: String(format: "%04d", index), cameraA: a, cameraB: b, imageA: stored[0].rgb, imageB: stored[1].rgb,
                            jpegA: stored[0].jpeg, jpegB: stored[1].jpeg, depthA: renders[0].depth, depthB: renders[1].depth,
                            warp: warp, seed: pairSeed, factors: factors)
    }

    /// Writes the set into `folder`: `<id>_a.png|jpg`, `<id>_b.png|jpg`, `<id>_{a,b}.depth.safetensors`,
    /// `<id>.warp.safetensors` (ground truth, usable as the `oracle` matcher), `difficulty.json`
    /// (every pair's difficulty factors) and, last, `pairs.txt` (the pair-list format), so
    /// its presence means the set is complete.
    @discardableResult
    public static func generate(into folder: String, options: Options, progress: ProgressMeter? = nil) throws -> [PairRecord] {
        guard options.pairs > 0, options.width >= 16, options.height >= 16, options.warpSize >= 8 else {
            throw DatasetError("synthetic set needs pairs ≥ 1, images at least 16×16 and a warp grid of at least 8")
        }
        var records: [PairRecord] = []
        var factors: [String: [DifficultyFactor]] = [:]
        let params: [String: any Sendable] = ["pairs": options.pairs, "set_seed": options.seed, "width": options.width, "height": options.height,
                                              "warp_size": options.warpSize, "difficulty": options.difficulty.summary]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for index in 0..<options.pairs {
            let pair = renderPair(index: index, options: options)
            let record = pair.record
            for (name, rgb, jpeg) in [(record.imageA, pair.imageA, pair.jpegA), (record.imageB, pair.imageB, pair.jpegB)] {
                if let jpeg {
                    try AtomicFile.write(jpeg, to: "\(folder)/\(name)")
                } else {
                    try Canvas(width: options.width, height: options.height, rgb: rgb).writePNG(to: "\(folder)/\(name)")
                }
            }
            let factorJSON = String(decoding: try encoder.encode(pair.factors), as: UTF8.self)
            for (side, depth, camera) in [("a", pair.depthA, pair.cameraA), ("b", pair.depthB, pair.cameraB)] {
                var artifact = Artifact(schema: depthSchema)
                artifact.put("depth", depth, shape: [options.height, options.width])
                artifact.put("K", camera.intrinsics, shape: [3, 3])
                artifact.metadata["difficulty"] = options.difficulty.name
                artifact.metadata["factors"] = factorJSON
                try artifact.stamp(stage: "synth", params: params, seed: pair.seed)
                try artifact.write(to: "\(folder)/\(pair.id)_\(side).depth.safetensors")
            }
            var warp = pair.warp.artifact
            warp.metadata["ground_truth"] = "true"
            warp.metadata["difficulty"] = options.difficulty.name
            warp.metadata["factors"] = factorJSON
            try warp.stamp(stage: "synth", params: params, seed: pair.seed)
            try warp.write(to: "\(folder)/\(pair.id).warp.safetensors")
            records.append(record)
            factors[pair.id] = pair.factors
            progress?.advance()
        }
        progress?.finish()
        try DifficultyFile(difficulty: options.difficulty, pairs: factors).write(to: "\(folder)/\(DifficultyFile.fileName)")
        let command = options.difficulty == .classic ? "" : " --difficulty \(options.difficulty.name)"
        try AtomicFile.write(PairList.format(records, header: [
            "Synthetic pairs rendered by `roma synth --pairs \(options.pairs) --seed \(options.seed)\(command)`",
            "Difficulty \(options.difficulty.summary); per-pair factors in \(DifficultyFile.fileName)",
            "id image_a image_b K_a(9) K_b(9) T_ab(16); paths relative to this folder",
        ]), to: "\(folder)/pairs.txt")
        return records
    }

    // MARK: Scene and cameras

    static func makeScene(_ rng: inout SplitMix64) -> Scene {
        func tint() -> Vector3 {
            Vector3(rng.uniform(0.25, 1), rng.uniform(0.25, 1), rng.uniform(0.25, 1))
        }
        var primitives = [Primitive(shape: .room(min: Vector3(-8, 0, -8), max: Vector3(8, 6, 8)),
                                    tint: tint(), textureSeed: rng.next(), textureScale: rng.uniform(0.8, 1.4))]
        for _ in 0..<Int(rng.uniform(3, 6)) {
            let half = Vector3(rng.uniform(0.3, 1.0), rng.uniform(0.3, 1.2), rng.uniform(0.3, 1.0))
            let center = Vector3(rng.uniform(-3, 3), half.y, rng.uniform(-3, 3))
            primitives.append(Primitive(shape: .box(center: center, halfSize: half, yaw: rng.uniform(0, .pi)),
                                        tint: tint(), textureSeed: rng.next(), textureScale: rng.uniform(1.5, 3)))
        }
        for _ in 0..<Int(rng.uniform(2, 5)) {
            let radius = rng.uniform(0.35, 1.0)
            let center = Vector3(rng.uniform(-3, 3), radius + rng.uniform(0, 1.5), rng.uniform(-3, 3))
            primitives.append(Primitive(shape: .sphere(center: center, radius: radius),
                                        tint: tint(), textureSeed: rng.next(), textureScale: rng.uniform(1.5, 3)))
        }
        return Scene(primitives: primitives, light: normalize(Vector3(rng.uniform(-0.6, 0.6), 1, rng.uniform(-0.6, 0.6))))
    }

    /// The classic set's cameras: around the scene centre, 8°–30° apart in azimuth (or
    /// `span`), so the views overlap widely but with real parallax and occlusion.
    static func makeCameras(_ rng: inout SplitMix64, width: Int, height: Int, azimuth span: Difficulty.Span = Difficulty.classic.rotation) -> (PinholeCamera, PinholeCamera) {
        let focal = 0.8 * Double(width)
        let azimuth = rng.uniform(0, 2 * .pi)
        let distance = rng.uniform(5.2, 6.8)
        let target = Vector3(rng.uniform(-0.5, 0.5), rng.uniform(0.6, 1.4), rng.uniform(-0.5, 0.5))
        let eyeA = Vector3(distance * cos(azimuth), rng.uniform(1.5, 3.0), distance * sin(azimuth))
        let delta = rng.uniform(span.lower, span.upper) * .pi / 180 * (rng.next() & 1 == 0 ? 1 : -1)
        let distanceB = distance * rng.uniform(0.85, 1.1)
        let eyeB = Vector3(distanceB * cos(azimuth + delta), eyeA.y + rng.uniform(-0.5, 0.5), distanceB * sin(azimuth + delta))
        let targetB = target + Vector3(rng.uniform(-0.3, 0.3), rng.uniform(-0.2, 0.2), rng.uniform(-0.3, 0.3))
        let a = PinholeCamera.lookAt(eye: eyeA, target: target, roll: rng.uniform(-0.05, 0.05), width: width, height: height, focal: focal)
        let b = PinholeCamera.lookAt(eye: eyeB, target: targetB, roll: rng.uniform(-0.1, 0.1), width: width, height: height, focal: focal)
        return (a, b)
    }
}
