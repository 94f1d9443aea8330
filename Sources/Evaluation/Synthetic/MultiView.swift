import Artifacts
import Console
import Foundation
import Parallel

/// N views of one synthetic scene with known poses, for structure from motion
/// (`roma synth --views N`): the same room, boxes and spheres as the pair set, seen
/// from cameras spread along an arc around it, every two views overlapping.
public enum MultiView {
    /// One rendered view's ground truth.
    public struct View: Sendable {
        public var name: String
        public var camera: PinholeCamera
        /// Camera centre in world coordinates (−Rᵀ t).
        public var center: [Double] { let c = camera.center; return [c.x, c.y, c.z] }
    }

    /// The cameras of set `options.seed` with `views` views, and its scene.
    static func layout(views: Int, options: Synthetic.Options) -> (Scene, [View]) {
        var rng = SplitMix64(seed: SplitMix64.mix(options.seed &* 0x9E37_79B9 &+ 0x5EED_0F_57E5))
        let scene = Synthetic.makeScene(&rng)
        let focal = 0.8 * Double(options.width)
        let azimuth = rng.uniform(0, 2 * .pi)
        // Steps of 6°–9°: six views span 30°–45°, so the first and last still overlap widely.
        let step = rng.uniform(6, 9) * .pi / 180
        let target = Vector3(rng.uniform(-0.3, 0.3), rng.uniform(0.8, 1.2), rng.uniform(-0.3, 0.3))
        var result: [View] = []
        for k in 0..<views {
            let angle = azimuth + Double(k) * step
            let distance = rng.uniform(5.6, 6.6)
            let eye = Vector3(distance * cos(angle), rng.uniform(1.8, 2.8), distance * sin(angle))
            let aim = target + Vector3(rng.uniform(-0.2, 0.2), rng.uniform(-0.15, 0.15), rng.uniform(-0.2, 0.2))
            let camera = PinholeCamera.lookAt(eye: eye, target: aim, roll: rng.uniform(-0.05, 0.05),
                                              width: options.width, height: options.height, focal: focal)
            result.append(View(name: String(format: "view_%02d.png", k), camera: camera))
        }
        return (scene, result)
    }

    /// Writes `view_<k>.png` and `view_<k>.depth.safetensors` for each view, the
    /// ground-truth warp `<i>-<j>.warp.safetensors` of every pair i < j (the `oracle`
    /// matcher), `views.txt` (each view's intrinsics and world-to-camera pose) and,
    /// last, `pairs.txt` with every pair, so its presence means the set is complete.
    @discardableResult
    public static func generate(into folder: String, views: Int, options: Synthetic.Options, progress: ProgressMeter? = nil) throws -> [View] {
        guard views >= 2, views <= 100, options.width >= 16, options.height >= 16, options.warpSize >= 8 else {
            throw DatasetError("a multi-view set needs 2…100 views, images at least 16×16 and a warp grid of at least 8")
        }
        let (scene, cameras) = layout(views: views, options: options)
        let params: [String: any Sendable] = ["views": views, "set_seed": options.seed, "width": options.width,
                                              "height": options.height, "warp_size": options.warpSize]
        for view in cameras {
            // One static scene: every primitive is in every view, lit alike.
            let image = Renderer.render(scene, camera: view.camera, view: .a, lighting: .plain(scene))
            let (rgb, depth) = (image.rgb, image.depth)
            try Canvas(width: options.width, height: options.height, rgb: rgb).writePNG(to: "\(folder)/\(view.name)")
            var artifact = Artifact(schema: Synthetic.depthSchema)
            artifact.put("depth", depth, shape: [options.height, options.width])
            artifact.put("K", view.camera.intrinsics, shape: [3, 3])
            try artifact.stamp(stage: "synth", params: params, seed: options.seed)
            try artifact.write(to: "\(folder)/\(view.name.replacingOccurrences(of: ".png", with: "")).depth.safetensors")
        }
        var records: [PairRecord] = []
        let n = options.warpSize
        for i in 0..<views {
            for j in (i + 1)..<views {
                let (a, b) = (cameras[i].camera, cameras[j].camera)
                let ab = Renderer.warp(scene, from: a, .a, to: b, .a, gridWidth: n, gridHeight: n)
                let ba = Renderer.warp(scene, from: b, .a, to: a, .a, gridWidth: n, gridHeight: n)
                var warp = Warp(width: n, height: n, warpAB: ab.warp, warpBA: ba.warp, certaintyAB: ab.certainty, certaintyBA: ba.certainty,
                                widthA: a.width, heightA: a.height, widthB: b.width, heightB: b.height).artifact
                warp.metadata["ground_truth"] = "true"
                try warp.stamp(stage: "synth", params: params, seed: options.seed)
                let id = String(format: "%02d-%02d", i, j)
                try warp.write(to: "\(folder)/\(id).warp.safetensors")
                let (R, t) = a.relativePose(to: b)
                records.append(PairRecord(id: id, imageA: cameras[i].name, imageB: cameras[j].name, intrinsicsA: a.intrinsics,
                                          intrinsicsB: b.intrinsics, rotation: R, translation: t))
                progress?.advance()
            }
        }
        progress?.finish()
        var lines = ["# Views rendered by `roma synth --views \(views) --seed \(options.seed)`: name fx fy cx cy R(9, world to camera, row-major) t(3)",
                     "# x_camera = R x_world + t; camera centre = -R^T t"]
        for view in cameras {
            let K = view.camera.intrinsics
            lines.append(([view.name] + ([K[0], K[4], K[2], K[5]] + view.camera.rotation + view.camera.translation).map { "\($0)" }).joined(separator: " "))
        }
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: "\(folder)/views.txt")
        try AtomicFile.write(PairList.format(records, header: [
            "Every pair of \(views) views rendered by `roma synth --views \(views) --seed \(options.seed)`",
            "id image_a image_b K_a(9) K_b(9) T_ab(16); paths relative to this folder",
        ]), to: "\(folder)/pairs.txt")
        return cameras
    }
}
