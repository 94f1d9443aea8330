import Foundation
import Geometry

public typealias Vector3 = SIMD3<Double>

/// A surface hit: distance along the (unit) ray, outward normal, and the primitive.
struct Hit {
    var distance: Double
    var normal: Vector3
    var primitive: Int
}

/// The shapes the renderer draws. Boxes turn about the vertical axis; the room is a
/// box seen from inside, so every ray hits something and every pixel has depth.
enum Shape: Sendable {
    case sphere(center: Vector3, radius: Double)
    case box(center: Vector3, halfSize: Vector3, yaw: Double)
    case room(min: Vector3, max: Vector3)
}

/// Which view of a pair a primitive exists in: both, or one only (an occluder that
/// moved between the shots). Bit 0 = view A, bit 1 = view B.
struct ViewMask: OptionSet, Sendable {
    let rawValue: UInt8
    static let a = ViewMask(rawValue: 1)
    static let b = ViewMask(rawValue: 2)
    static let both: ViewMask = [.a, .b]
    static func view(_ index: Int) -> ViewMask { index == 0 ? .a : .b }
}

struct Primitive: Sendable {
    var shape: Shape
    /// Texture parameters: each object looks different, the texture lives in 3D so
    /// both views see the same pattern on the same surface point.
    var tint: Vector3
    var textureSeed: UInt64
    var textureScale: Double
    var texture: SolidTexture.Kind = .natural
    var views: ViewMask = .both
    /// The room receives shadows but casts none (light enters as through a skylight).
    var castsShadow = true
}

struct Scene: Sendable {
    var primitives: [Primitive]
    /// Direction towards the light (unit).
    var light: Vector3

    /// Nearest hit along origin + s·direction, s > ε, among the primitives `view` holds.
    func intersect(origin: Vector3, direction: Vector3, view: ViewMask, shadowCastersOnly: Bool = false) -> Hit? {
        var best: Hit?
        for (index, primitive) in primitives.enumerated() where primitive.views.isSuperset(of: view) {
            if shadowCastersOnly && !primitive.castsShadow { continue }
            guard let (s, n) = Scene.intersect(primitive.shape, origin: origin, direction: direction) else { continue }
            if best == nil || s < best!.distance { best = Hit(distance: s, normal: n, primitive: index) }
        }
        return best
    }

    static let epsilon = 1e-9

    static func intersect(_ shape: Shape, origin o: Vector3, direction d: Vector3) -> (Double, Vector3)? {
        switch shape {
        case let .sphere(center, radius):
            let oc = o - center
            let b = dot(oc, d), c = dot(oc, oc) - radius * radius
            let disc = b * b - c
            guard disc >= 0 else { return nil }
            let root = disc.squareRoot()
            var s = -b - root
            if s <= epsilon { s = -b + root }
            guard s > epsilon else { return nil }
            return (s, normalize(o + s * d - center))
        case let .box(center, half, yaw):
            // Into the box's frame: undo the yaw about the vertical (y) axis.
            let (c, sn) = (cos(yaw), sin(yaw))
            func toLocal(_ v: Vector3) -> Vector3 { Vector3(c * v.x - sn * v.z, v.y, sn * v.x + c * v.z) }
            func toWorld(_ v: Vector3) -> Vector3 { Vector3(c * v.x + sn * v.z, v.y, -sn * v.x + c * v.z) }
            guard let (s, n) = slabs(origin: toLocal(o - center), direction: toLocal(d), min: -half, max: half, inside: false) else { return nil }
            return (s, toWorld(n))
        case let .room(lower, upper):
            return slabs(origin: o, direction: d, min: lower, max: upper, inside: true)
        }
    }

    /// Ray–box by slabs. Outside: the entry face; inside (room): the exit face, normal inwards.
    static func slabs(origin o: Vector3, direction d: Vector3, min lower: Vector3, max upper: Vector3, inside: Bool) -> (Double, Vector3)? {
        var near = -Double.infinity, far = Double.infinity
        var nearAxis = 0, farAxis = 0
        for axis in 0..<3 {
            let inv = 1 / d[axis]
            var s0 = (lower[axis] - o[axis]) * inv, s1 = (upper[axis] - o[axis]) * inv
            if s0 > s1 { swap(&s0, &s1) }
            if s0 > near { near = s0; nearAxis = axis }
            if s1 < far { far = s1; farAxis = axis }
        }
        guard near <= far else { return nil }
        var normal = Vector3(0, 0, 0)
        if inside {
            guard far > epsilon else { return nil }
            normal[farAxis] = d[farAxis] > 0 ? -1 : 1
            return (far, normal)
        }
        guard near > epsilon else { return nil }
        normal[nearAxis] = d[nearAxis] > 0 ? -1 : 1
        return (near, normal)
    }
}
