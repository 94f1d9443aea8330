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
        public init() {}
    }

    /// `roma.depth/1`: one depth map (camera z, 0 where nothing was hit).
    public static let depthSchema = Schema("roma.depth", version: 1)

    /// Everything about one rendered pair, before it is written.
    public struct RenderedPair: Sendable {
        public var id: String
        public var cameraA: PinholeCamera
        public var cameraB: PinholeCamera
        public var imageA: [UInt8], imageB: [UInt8]
        public var depthA: [Float], depthB: [Float]
        public var warp: Warp
        public var seed: UInt64
        public var record: PairRecord {
            let (R, t) = cameraA.relativePose(to: cameraB)
            return PairRecord(id: id, imageA: "\(id)_a.png", imageB: "\(id)_b.png", intrinsicsA: cameraA.intrinsics,
                              intrinsicsB: cameraB.intrinsics, rotation: R, translation: t)
        }
    }

    /// Renders pair `index` of the set fixed by `options.seed`.
    public static func renderPair(index: Int, options: Options) -> RenderedPair {
        let pairSeed = SplitMix64.mix(options.seed &* 0x100_0000_01B3 &+ UInt64(index) &+ 1)
        var rng = SplitMix64(seed: pairSeed)
        let scene = makeScene(&rng)
        let (a, b) = makeCameras(&rng, width: options.width, height: options.height)
        let (imageA, depthA) = Renderer.render(scene, camera: a)
        let (imageB, depthB) = Renderer.render(scene, camera: b)
        let n = options.warpSize
        let ab = Renderer.warp(scene, from: a, to: b, gridWidth: n, gridHeight: n)
        let ba = Renderer.warp(scene, from: b, to: a, gridWidth: n, gridHeight: n)
        let warp = Warp(width: n, height: n, warpAB: ab.warp, warpBA: ba.warp, certaintyAB: ab.certainty, certaintyBA: ba.certainty,
                        widthA: a.width, heightA: a.height, widthB: b.width, heightB: b.height)
        return RenderedPair(id: String(format: "%04d", index), cameraA: a, cameraB: b, imageA: imageA, imageB: imageB,
                            depthA: depthA, depthB: depthB, warp: warp, seed: pairSeed)
    }

    /// Writes the set into `folder`: `<id>_a.png`, `<id>_b.png`, `<id>_{a,b}.depth.safetensors`,
    /// `<id>.warp.safetensors` (ground truth, usable as the `oracle` matcher) and, last,
    /// `pairs.txt` (the pair-list format), so its presence means the set is complete.
    @discardableResult
    public static func generate(into folder: String, options: Options, progress: ProgressMeter? = nil) throws -> [PairRecord] {
        guard options.pairs > 0, options.width >= 16, options.height >= 16, options.warpSize >= 8 else {
            throw DatasetError("synthetic set needs pairs ≥ 1, images at least 16×16 and a warp grid of at least 8")
        }
        var records: [PairRecord] = []
        let params: [String: any Sendable] = ["pairs": options.pairs, "set_seed": options.seed, "width": options.width, "height": options.height, "warp_size": options.warpSize]
        for index in 0..<options.pairs {
            let pair = renderPair(index: index, options: options)
            try Canvas(width: options.width, height: options.height, rgb: pair.imageA).writePNG(to: "\(folder)/\(pair.id)_a.png")
            try Canvas(width: options.width, height: options.height, rgb: pair.imageB).writePNG(to: "\(folder)/\(pair.id)_b.png")
            for (side, depth, camera) in [("a", pair.depthA, pair.cameraA), ("b", pair.depthB, pair.cameraB)] {
                var artifact = Artifact(schema: depthSchema)
                artifact.put("depth", depth, shape: [options.height, options.width])
                artifact.put("K", camera.intrinsics, shape: [3, 3])
                try artifact.stamp(stage: "synth", params: params, seed: pair.seed)
                try artifact.write(to: "\(folder)/\(pair.id)_\(side).depth.safetensors")
            }
            var warp = pair.warp.artifact
            warp.metadata["ground_truth"] = "true"
            try warp.stamp(stage: "synth", params: params, seed: pair.seed)
            try warp.write(to: "\(folder)/\(pair.id).warp.safetensors")
            records.append(pair.record)
            progress?.advance()
        }
        progress?.finish()
        try AtomicFile.write(PairList.format(records, header: [
            "Synthetic pairs rendered by `roma synth --pairs \(options.pairs) --seed \(options.seed)`",
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

    /// Two cameras around the scene centre, 8°–30° apart in azimuth, so the views
    /// overlap widely but with real parallax and occlusion.
    static func makeCameras(_ rng: inout SplitMix64, width: Int, height: Int) -> (PinholeCamera, PinholeCamera) {
        let focal = 0.8 * Double(width)
        let azimuth = rng.uniform(0, 2 * .pi)
        let distance = rng.uniform(5.2, 6.8)
        let target = Vector3(rng.uniform(-0.5, 0.5), rng.uniform(0.6, 1.4), rng.uniform(-0.5, 0.5))
        let eyeA = Vector3(distance * cos(azimuth), rng.uniform(1.5, 3.0), distance * sin(azimuth))
        let delta = rng.uniform(8, 30) * .pi / 180 * (rng.next() & 1 == 0 ? 1 : -1)
        let distanceB = distance * rng.uniform(0.85, 1.1)
        let eyeB = Vector3(distanceB * cos(azimuth + delta), eyeA.y + rng.uniform(-0.5, 0.5), distanceB * sin(azimuth + delta))
        let targetB = target + Vector3(rng.uniform(-0.3, 0.3), rng.uniform(-0.2, 0.2), rng.uniform(-0.3, 0.3))
        let a = PinholeCamera.lookAt(eye: eyeA, target: target, roll: rng.uniform(-0.05, 0.05), width: width, height: height, focal: focal)
        let b = PinholeCamera.lookAt(eye: eyeB, target: targetB, roll: rng.uniform(-0.1, 0.1), width: width, height: height, focal: focal)
        return (a, b)
    }
}
