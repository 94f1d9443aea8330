import Foundation
import Geometry
import Parallel

/// The random choices that make a pair hard, drawn from a `Difficulty`: where the
/// cameras stand, which objects only one view holds, what the surfaces look like, and
/// how each view is lit. Geometry (cameras, occluders) and appearance (textures,
/// lighting, sensor) draw from separate seeded streams, so changing an appearance
/// factor never moves a camera or an object.
enum PairDesign {
    /// Two cameras around the scene centre with the difficulty's azimuth, scale (one
    /// camera zoomed in) and in-plane rotation, and the occluders (each in one view
    /// only), redrawn until the coarse overlap lies in the wanted range (or, after 300
    /// draws, the closest). Returns the scene with its occluders, the extra in-plane
    /// rotation in degrees and the number of occluders.
    static func viewpoint(_ scene: Scene, _ d: Difficulty, _ rng: inout SplitMix64, occluderSeed: UInt64, width: Int, height: Int)
        -> (scene: Scene, a: PinholeCamera, b: PinholeCamera, inPlane: Double, occluders: Int) {
        if d.classicViewpoint {
            let (a, b) = Synthetic.makeCameras(&rng, width: width, height: height, azimuth: d.rotation)
            var occluderRNG = SplitMix64(seed: occluderSeed), withOccluders = scene
            let count = addOccluders(&withOccluders, a, b, d, &occluderRNG)
            return (withOccluders, a, b, 0, count)
        }
        let base = 0.8 * Double(width)
        var best: (Scene, PinholeCamera, PinholeCamera, Double, Int)?
        var bestMiss = Double.infinity
        for _ in 0..<300 {
            let azimuth = rng.uniform(0, 2 * .pi)
            let distance = rng.uniform(5, 7)
            let target = Vector3(rng.uniform(-1, 1), rng.uniform(0.5, 1.6), rng.uniform(-1, 1))
            let eyeA = Vector3(distance * cos(azimuth), rng.uniform(1.2, 3.2), distance * sin(azimuth))
            let delta = d.rotation.draw(&rng) * .pi / 180 * (rng.next() & 1 == 0 ? 1 : -1)
            let distanceB = distance * rng.uniform(0.85, 1.15)
            let eyeB = Vector3(distanceB * cos(azimuth + delta), eyeA.y + rng.uniform(-0.6, 0.6), distanceB * sin(azimuth + delta))
            // B looks somewhere else by up to 2.5 m: the overlap varies at a given rotation.
            let away = Vector3(rng.uniform(-1, 1), rng.uniform(-0.4, 0.4), rng.uniform(-1, 1))
            let targetB = target + rng.uniform(0, 2.5) * away / max(1e-9, dot(away, away).squareRoot())
            let scale = d.scale.draw(&rng)
            let zoomB = rng.next() & 1 == 0
            let roll = rng.uniform(-0.05, 0.05)
            let inPlane = d.inPlane.draw(&rng) * (rng.next() & 1 == 0 ? 1 : -1)
            let a = PinholeCamera.lookAt(eye: eyeA, target: target, roll: roll, width: width, height: height,
                                         focal: base * (zoomB ? 1 : scale))
            let b = PinholeCamera.lookAt(eye: eyeB, target: targetB, roll: roll + inPlane * .pi / 180, width: width, height: height,
                                         focal: base * (zoomB ? scale : 1))
            var occluderRNG = SplitMix64(seed: occluderSeed), withOccluders = scene
            let count = addOccluders(&withOccluders, a, b, d, &occluderRNG)
            guard let wanted = d.overlap else { return (withOccluders, a, b, abs(inPlane), count) }
            let overlap = Renderer.coarseOverlap(withOccluders, a, b)
            let miss = max(0, wanted.lower - overlap, overlap - wanted.upper)
            if miss == 0 { return (withOccluders, a, b, abs(inPlane), count) }
            if miss < bestMiss { (best, bestMiss) = ((withOccluders, a, b, abs(inPlane), count), miss) }
        }
        return best!
    }

    /// Adds the difficulty's occluders, each present in one view only: a post or a
    /// ball 30–60 % of the way from that view's camera to the surface behind a random
    /// pixel of its central area. Returns how many were placed.
    static func addOccluders(_ scene: inout Scene, _ a: PinholeCamera, _ b: PinholeCamera, _ d: Difficulty, _ rng: inout SplitMix64) -> Int {
        let count = Int(d.occluders.draw(&rng).rounded())
        var placed = 0
        for _ in 0..<count {
            for _ in 0..<10 {
                let inA = rng.next() & 1 == 0
                let camera = inA ? a : b
                let eye = camera.center
                let direction = camera.ray(x: Double(camera.width) * rng.uniform(0.15, 0.85), y: Double(camera.height) * rng.uniform(0.15, 0.85))
                guard let hit = scene.intersect(origin: eye, direction: direction, view: inA ? .a : .b) else { continue }
                let center = eye + hit.distance * rng.uniform(0.3, 0.6) * direction
                let shape: Shape, size: Double
                if rng.next() & 1 == 0 {
                    let half = Vector3(rng.uniform(0.12, 0.3), rng.uniform(0.5, 1.2), rng.uniform(0.12, 0.3))
                    (shape, size) = (.box(center: center, halfSize: half, yaw: rng.uniform(0, .pi)), dot(half, half).squareRoot())
                } else {
                    let radius = rng.uniform(0.25, 0.55)
                    (shape, size) = (.sphere(center: center, radius: radius), radius)
                }
                // Neither camera may stand inside it.
                let clearance = min(dot(a.center - center, a.center - center), dot(b.center - center, b.center - center)).squareRoot()
                guard clearance > size + 0.3 else { continue }
                scene.primitives.append(Primitive(shape: shape, tint: Vector3(rng.uniform(0.2, 0.9), rng.uniform(0.2, 0.9), rng.uniform(0.2, 0.9)),
                                                  textureSeed: rng.next(), textureScale: rng.uniform(1.5, 3), views: inA ? .a : .b))
                placed += 1
                break
            }
        }
        return placed
    }

    /// Gives each surface (the room's walls included) a repeated pattern or a nearly
    /// uniform colour with the difficulty's probabilities.
    static func assignTextures(_ scene: inout Scene, _ d: Difficulty, _ rng: inout SplitMix64) {
        for k in scene.primitives.indices {
            let r = rng.unit()
            scene.primitives[k].texture = r < d.repeated ? .repeated : (r < d.repeated + d.lowTexture ? .low : .natural)
        }
    }

    /// The two views' lighting: B's light turned by the difficulty's angle about a
    /// random axis (kept above the horizon), exposures apart by its stops, each with
    /// its own white balance. Returns the lighting and the measured changes: light
    /// angle (degrees), exposure (stops), largest per-channel gain ratio deviation.
    static func lighting(_ scene: Scene, _ d: Difficulty, _ rng: inout SplitMix64)
        -> (views: [ViewLighting], light: Double, exposure: Double, whiteBalance: Double) {
        let angle = d.light.draw(&rng) * .pi / 180
        var lightB = scene.light
        if angle > 0 {
            var bestY = -Double.infinity
            for _ in 0..<16 {
                // A random axis perpendicular to the light; Rodrigues' rotation about it.
                let r = Vector3(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1))
                let axis = normalize(r - dot(r, scene.light) * scene.light)
                let turned = cos(angle) * scene.light + sin(angle) * cross(axis, scene.light)
                if turned.y > bestY { (lightB, bestY) = (turned, turned.y) }
                if turned.y >= 0.2 { break }
            }
        }
        let stops = d.exposure.draw(&rng) * (rng.next() & 1 == 0 ? 1 : -1)
        let spread = d.whiteBalance.draw(&rng)
        func balance() -> Vector3 { Vector3(1 + rng.uniform(-spread, spread), 1 + rng.uniform(-spread, spread), 1 + rng.uniform(-spread, spread)) }
        let gainA = pow(2, -stops / 2) * balance(), gainB = pow(2, stops / 2) * balance()
        let ratio = (gainB / gainA) / pow(2, stops)
        let deviation = [ratio.x, ratio.y, ratio.z].map { abs($0 - 1) }.max()!
        let views = [ViewLighting(light: scene.light, gain: gainA, ambient: d.ambient, shadows: d.shadows),
                     ViewLighting(light: lightB, gain: gainB, ambient: d.ambient, shadows: d.shadows)]
        let turned = acos(max(-1, min(1, dot(scene.light, lightB)))) * 180 / .pi
        return (views, turned, abs(stops), deviation)
    }
}
