import Artifacts
import Foundation
import Geometry
import Parallel

/// How one view is lit and exposed. Only colours depend on it, never geometry: the
/// two views of a pair may differ in light direction, exposure and white balance
/// while depth, visibility and warp stay those of the scene and cameras alone.
struct ViewLighting: Sendable, Equatable {
    /// Direction towards the (directional) light, unit.
    var light: Vector3
    /// Per-channel gain: exposure × white balance.
    var gain: Vector3
    var ambient: Double
    var shadows: Bool

    /// The classic set's lighting: the scene's light, no gain, no shadows.
    static func plain(_ scene: Scene) -> ViewLighting {
        ViewLighting(light: scene.light, gain: Vector3(1, 1, 1), ambient: 0.35, shadows: false)
    }
}

/// CPU ray casting of a `Scene`: colour images, depth maps, and the dense
/// ground-truth warp between two cameras. `view` selects the primitives a view
/// holds (occluders may exist in one view only).
enum Renderer {
    struct Image {
        var rgb: [UInt8]
        var depth: [Float]
        /// Fraction of pixels whose surface has a repeated or low texture.
        var weakTexture: Double
    }

    /// sRGB image with 2×2 supersampling (less aliasing of fine texture), and the depth
    /// (camera z) through each pixel centre.
    static func render(_ scene: Scene, camera: PinholeCamera, view: ViewMask, lighting: ViewLighting) -> Image {
        let (w, h) = (camera.width, camera.height)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        var depth = [Float](repeating: 0, count: w * h)
        var weakRows = [Int](repeating: 0, count: h)
        let eye = camera.center
        rgb.withUnsafeMutableBufferPointer { rgbBuffer in
            depth.withUnsafeMutableBufferPointer { depthBuffer in
                weakRows.withUnsafeMutableBufferPointer { weakBuffer in
                    let out = SendablePointer(rgbBuffer.baseAddress!), depthOut = SendablePointer(depthBuffer.baseAddress!)
                    let weakOut = SendablePointer(weakBuffer.baseAddress!)
                    parallelFor(h) { row in
                        var weak = 0
                        for col in 0..<w {
                            var sum = Vector3(0, 0, 0)
                            for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                                sum += shade(scene, origin: eye, direction: camera.ray(x: Double(col) + dx, y: Double(row) + dy),
                                             view: view, lighting: lighting)
                            }
                            let c = sum / 4
                            for k in 0..<3 {
                                // Gamma 2.2 to sRGB-ish bytes.
                                out[(row * w + col) * 3 + k] = UInt8(max(0, min(255, (pow(max(0, c[k]), 1 / 2.2) * 255).rounded())))
                            }
                            let hit = surfaceAt(scene, camera: camera, eye: eye, x: Double(col) + 0.5, y: Double(row) + 0.5, view: view)
                            depthOut[row * w + col] = Float(hit?.depth ?? 0)
                            if let hit, scene.primitives[hit.primitive].texture != .natural { weak += 1 }
                        }
                        weakOut[row] = weak
                    }
                }
            }
        }
        return Image(rgb: rgb, depth: depth, weakTexture: Double(weakRows.reduce(0, +)) / Double(w * h))
    }

    /// Lambertian shading with an ambient share, optionally shadowed: view-independent
    /// for one lighting, so two views under the same lighting agree on a point's colour.
    static func shade(_ scene: Scene, origin: Vector3, direction: Vector3, view: ViewMask, lighting: ViewLighting) -> Vector3 {
        guard let hit = scene.intersect(origin: origin, direction: direction, view: view) else { return Vector3(0, 0, 0) }
        let primitive = scene.primitives[hit.primitive]
        let point = origin + hit.distance * direction
        let albedo = SolidTexture.color(at: point, of: primitive)
        var direct = max(0, dot(hit.normal, lighting.light))
        if lighting.shadows, direct > 0,
           scene.intersect(origin: point + 1e-6 * hit.normal, direction: lighting.light, view: view, shadowCastersOnly: true) != nil {
            direct = 0
        }
        return albedo * (lighting.ambient + (1 - lighting.ambient) * direct) * lighting.gain
    }

    /// The surface seen through pixel position (x, y): camera-frame depth and primitive.
    static func surfaceAt(_ scene: Scene, camera: PinholeCamera, eye: Vector3, x: Double, y: Double, view: ViewMask) -> (depth: Double, primitive: Int)? {
        let d = camera.ray(x: x, y: y)
        guard let hit = scene.intersect(origin: eye, direction: d, view: view) else { return nil }
        return (camera.toCamera(eye + hit.distance * d).z, hit.primitive)
    }

    struct WarpField {
        var warp: [Float]
        var certainty: [Float]
        /// Geometric mean over visible cells of the local scale change, (f_b/z_b)/(f_a/z_a).
        var scale: Double
    }

    /// Ground-truth warp from `a` (seeing `viewA`'s primitives) to `b` on a
    /// `gridWidth × gridHeight` grid of A (cell centres as in `roma.warp/2`): where each
    /// cell's surface point lands in B, with certainty 1 when the point exists in B's
    /// scene, lies inside B, and B sees that same point (depth agrees to 1e-4 relative;
    /// an occluder present in B only hides it); 0 otherwise.
    static func warp(_ scene: Scene, from a: PinholeCamera, _ viewA: ViewMask, to b: PinholeCamera, _ viewB: ViewMask,
                     gridWidth: Int, gridHeight: Int) -> WarpField {
        var warp = [Float](repeating: 0, count: gridWidth * gridHeight * 2)
        var certainty = [Float](repeating: 0, count: gridWidth * gridHeight)
        var logScale = [Double](repeating: 0, count: gridHeight)
        let eyeA = a.center, eyeB = b.center
        warp.withUnsafeMutableBufferPointer { warpBuffer in
            certainty.withUnsafeMutableBufferPointer { certaintyBuffer in
                logScale.withUnsafeMutableBufferPointer { scaleBuffer in
                    let warpOut = SendablePointer(warpBuffer.baseAddress!), certaintyOut = SendablePointer(certaintyBuffer.baseAddress!)
                    let scaleOut = SendablePointer(scaleBuffer.baseAddress!)
                    parallelFor(gridHeight) { i in
                        var rowScale = 0.0
                        for j in 0..<gridWidth {
                            let x = Double(a.width) * Double(2 * j + 1) / Double(2 * gridWidth)
                            let y = Double(a.height) * Double(2 * i + 1) / Double(2 * gridHeight)
                            let direction = a.ray(x: x, y: y)
                            let cell = i * gridWidth + j
                            guard let hit = scene.intersect(origin: eyeA, direction: direction, view: viewA) else { continue }
                            let point = eyeA + hit.distance * direction
                            let q = b.project(point)
                            guard q.depth > 1e-6 else {
                                // Behind B: no position; a far-outside value keeps the field finite.
                                warpOut[cell * 2] = -2
                                warpOut[cell * 2 + 1] = -2
                                continue
                            }
                            let u = 2 * q.x / Double(b.width) - 1, v = 2 * q.y / Double(b.height) - 1
                            let limit = Double(Warp.coordinateLimit)
                            warpOut[cell * 2] = Float(max(-limit, min(limit, u)))
                            warpOut[cell * 2 + 1] = Float(max(-limit, min(limit, v)))
                            guard scene.primitives[hit.primitive].views.contains(viewB),
                                  q.x >= 0, q.x < Double(b.width), q.y >= 0, q.y < Double(b.height),
                                  let seen = surfaceAt(scene, camera: b, eye: eyeB, x: q.x, y: q.y, view: viewB),
                                  abs(seen.depth - q.depth) <= 1e-4 * q.depth else { continue }
                            certaintyOut[cell] = 1
                            rowScale += log(b.focal * a.toCamera(point).z / (a.focal * q.depth))
                        }
                        scaleOut[i] = rowScale
                    }
                }
            }
        }
        let visible = certainty.reduce(0) { $0 + Double($1) }
        return WarpField(warp: warp, certainty: certainty, scale: visible > 0 ? exp(logScale.reduce(0, +) / visible) : 1)
    }

    /// The smaller covisible fraction of A's and B's pixels: the warp's own test on a
    /// coarse grid, cheap enough to draw cameras until the overlap falls in a wanted range.
    static func coarseOverlap(_ scene: Scene, _ a: PinholeCamera, _ b: PinholeCamera, samples: Int = 24) -> Double {
        let rows = max(1, samples * a.height / a.width)
        func covisible(_ field: WarpField) -> Double { field.certainty.reduce(0) { $0 + Double($1) } / Double(field.certainty.count) }
        return min(covisible(warp(scene, from: a, .a, to: b, .b, gridWidth: samples, gridHeight: rows)),
                   covisible(warp(scene, from: b, .b, to: a, .a, gridWidth: samples, gridHeight: rows)))
    }
}
