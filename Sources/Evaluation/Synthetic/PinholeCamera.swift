/// A pinhole camera in the OpenCV convention (x right, y down, z forward), with pixel
/// coordinates whose top-left pixel centre is (0.5, 0.5), as `roma.matches/1` uses.
public struct PinholeCamera: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var focal: Double
    /// World-to-camera rotation, rows = camera axes in world coordinates.
    public var rotation: [Double]
    public var translation: [Double]

    /// Row-major 3×3 intrinsics, principal point at the image centre.
    public var intrinsics: [Double] { [focal, 0, Double(width) / 2, 0, focal, Double(height) / 2, 0, 0, 1] }

    var center: Vector3 {
        // −Rᵀ t
        let R = rotation, t = translation
        return -Vector3(R[0] * t[0] + R[3] * t[1] + R[6] * t[2], R[1] * t[0] + R[4] * t[1] + R[7] * t[2], R[2] * t[0] + R[5] * t[1] + R[8] * t[2])
    }

    /// Looking from `eye` at `target`, rolled by `roll` radians; `up` is world +y.
    static func lookAt(eye: Vector3, target: Vector3, roll: Double, width: Int, height: Int, focal: Double) -> PinholeCamera {
        let forward = normalize(target - eye)
        var right = normalize(cross(forward, Vector3(0, 1, 0)))
        var down = cross(forward, right)
        let (c, s) = (cos(roll), sin(roll))
        (right, down) = (c * right + s * down, -s * right + c * down)
        let R = [right.x, right.y, right.z, down.x, down.y, down.z, forward.x, forward.y, forward.z]
        let t = [-dot(right, eye), -dot(down, eye), -dot(forward, eye)]
        return PinholeCamera(width: width, height: height, focal: focal, rotation: R, translation: t)
    }

    /// Unit world-space direction of the ray through pixel position (x, y).
    func ray(x: Double, y: Double) -> Vector3 {
        let d = Vector3((x - Double(width) / 2) / focal, (y - Double(height) / 2) / focal, 1)
        let R = rotation
        return normalize(Vector3(R[0] * d.x + R[3] * d.y + R[6] * d.z, R[1] * d.x + R[4] * d.y + R[7] * d.z, R[2] * d.x + R[5] * d.y + R[8] * d.z))
    }

    /// Camera-frame coordinates of a world point.
    func toCamera(_ p: Vector3) -> Vector3 {
        let R = rotation, t = translation
        return Vector3(R[0] * p.x + R[1] * p.y + R[2] * p.z + t[0], R[3] * p.x + R[4] * p.y + R[5] * p.z + t[1], R[6] * p.x + R[7] * p.y + R[8] * p.z + t[2])
    }

    /// Pixel position and depth (camera z) of a world point.
    func project(_ p: Vector3) -> (x: Double, y: Double, depth: Double) {
        let c = toCamera(p)
        return (focal * c.x / c.z + Double(width) / 2, focal * c.y / c.z + Double(height) / 2, c.z)
    }

    /// Relative pose from this camera to `other`: x_other = R x_self + t.
    func relativePose(to other: PinholeCamera) -> (rotation: [Double], translation: [Double]) {
        let A = rotation, B = other.rotation
        var R = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { R[i * 3 + j] += B[i * 3 + k] * A[j * 3 + k] } } }  // B Aᵀ
        var t = other.translation
        for i in 0..<3 { for j in 0..<3 { t[i] -= R[i * 3 + j] * translation[j] } }  // t_B − R t_A
        return (R, t)
    }
}

import Foundation
import Geometry
