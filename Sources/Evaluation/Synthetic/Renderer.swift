import Artifacts
import Foundation
import Geometry
import Parallel

/// CPU ray casting of a `Scene`: colour images, depth maps, and the dense
/// ground-truth warp between two cameras.
enum Renderer {
    /// sRGB image with 2×2 supersampling (less aliasing of fine texture), and the depth
    /// (camera z) through each pixel centre.
    static func render(_ scene: Scene, camera: PinholeCamera) -> (rgb: [UInt8], depth: [Float]) {
        let (w, h) = (camera.width, camera.height)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        var depth = [Float](repeating: 0, count: w * h)
        let eye = camera.center
        rgb.withUnsafeMutableBufferPointer { rgbBuffer in
            depth.withUnsafeMutableBufferPointer { depthBuffer in
                let out = SendablePointer(rgbBuffer.baseAddress!), depthOut = SendablePointer(depthBuffer.baseAddress!)
                parallelFor(h) { row in
                    for col in 0..<w {
                        var sum = Vector3(0, 0, 0)
                        for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                            sum += shade(scene, origin: eye, direction: camera.ray(x: Double(col) + dx, y: Double(row) + dy))
                        }
                        let c = sum / 4
                        for k in 0..<3 {
                            // Gamma 2.2 to sRGB-ish bytes.
                            out[(row * w + col) * 3 + k] = UInt8(max(0, min(255, (pow(c[k], 1 / 2.2) * 255).rounded())))
                        }
                        depthOut[row * w + col] = Float(depthAt(scene, camera: camera, eye: eye, x: Double(col) + 0.5, y: Double(row) + 0.5) ?? 0)
                    }
                }
            }
        }
        return (rgb, depth)
    }

    /// Lambertian shading: view-independent, so the two views agree on a point's colour.
    static func shade(_ scene: Scene, origin: Vector3, direction: Vector3) -> Vector3 {
        guard let hit = scene.intersect(origin: origin, direction: direction) else { return Vector3(0, 0, 0) }
        let primitive = scene.primitives[hit.primitive]
        let albedo = SolidTexture.color(at: origin + hit.distance * direction, of: primitive)
        let light = 0.35 + 0.65 * max(0, dot(hit.normal, scene.light))
        return albedo * light
    }

    /// Camera-frame depth of the surface seen through pixel position (x, y).
    static func depthAt(_ scene: Scene, camera: PinholeCamera, eye: Vector3, x: Double, y: Double) -> Double? {
        let d = camera.ray(x: x, y: y)
        guard let hit = scene.intersect(origin: eye, direction: d) else { return nil }
        return camera.toCamera(eye + hit.distance * d).z
    }

    /// Ground-truth warp from `a` to `b` on a `size × size` grid of A (cell centres as
    /// in `roma.warp/2`): where each cell's surface point lands in B, with certainty 1
    /// when it lies inside B and B sees that same point (depth agrees to 1e-4
    /// relative), 0 when it is occluded or outside.
    static func warp(_ scene: Scene, from a: PinholeCamera, to b: PinholeCamera, gridWidth: Int, gridHeight: Int) -> (warp: [Float], certainty: [Float]) {
        var warp = [Float](repeating: 0, count: gridWidth * gridHeight * 2)
        var certainty = [Float](repeating: 0, count: gridWidth * gridHeight)
        let eyeA = a.center, eyeB = b.center
        warp.withUnsafeMutableBufferPointer { warpBuffer in
            certainty.withUnsafeMutableBufferPointer { certaintyBuffer in
                let warpOut = SendablePointer(warpBuffer.baseAddress!), certaintyOut = SendablePointer(certaintyBuffer.baseAddress!)
                parallelFor(gridHeight) { i in
                    for j in 0..<gridWidth {
                        let x = Double(a.width) * Double(2 * j + 1) / Double(2 * gridWidth)
                        let y = Double(a.height) * Double(2 * i + 1) / Double(2 * gridHeight)
                        let direction = a.ray(x: x, y: y)
                        let cell = i * gridWidth + j
                        guard let hit = scene.intersect(origin: eyeA, direction: direction) else { continue }
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
                        guard q.x >= 0, q.x < Double(b.width), q.y >= 0, q.y < Double(b.height),
                              let seen = depthAt(scene, camera: b, eye: eyeB, x: q.x, y: q.y),
                              abs(seen - q.depth) <= 1e-4 * q.depth else { continue }
                        certaintyOut[cell] = 1
                    }
                }
            }
        }
        return (warp, certainty)
    }
}
