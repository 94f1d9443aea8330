import Foundation
import Parallel

/// Source index and weight of one output position of torch's linear
/// interpolation with `align_corners=False` (negative sources clamp to 0).
private func linearTaps(outSize: Int, inSize: Int) -> [(Int, Int, Float)] {
    let scale = Float(inSize) / Float(outSize)
    return (0..<outSize).map { i in
        let src = max(scale * (Float(i) + 0.5) - 0.5, 0)
        let i0 = min(Int(src), inSize - 1)
        let i1 = min(i0 + 1, inSize - 1)
        return (i0, i1, src - Float(i0))
    }
}

/// `F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)`.
func resizeBilinear(_ x: FeatureMap, height: Int, width: Int) -> FeatureMap {
    if x.height == height && x.width == width { return x }
    let ty = linearTaps(outSize: height, inSize: x.height), tx = linearTaps(outSize: width, inSize: x.width)
    let (ih, iw) = (x.height, x.width)
    var out = [Float](repeating: 0, count: x.channels * height * width)
    out.withUnsafeMutableBufferPointer { o in
        let dst = SendablePointer(o.baseAddress!)
        x.data.withUnsafeBufferPointer { s in
            let src = SendablePointer(UnsafeMutablePointer(mutating: s.baseAddress!))
            parallelFor(x.channels * height) { r in
                let c = r / height, y = r % height
                let (y0, y1, ly) = ty[y]
                let p = src.base + c * ih * iw, q = dst.base + (c * height + y) * width
                for xo in 0..<width {
                    let (x0, x1, lx) = tx[xo]
                    let top = (1 - lx) * p[y0 * iw + x0] + lx * p[y0 * iw + x1]
                    let bottom = (1 - lx) * p[y1 * iw + x0] + lx * p[y1 * iw + x1]
                    q[xo] = (1 - ly) * top + ly * bottom
                }
            }
        }
    }
    return FeatureMap(channels: x.channels, height: height, width: width, data: out)
}

/// Keys' cubic convolution weights (A = -0.75, torch's bicubic) for fraction t.
private func cubicWeights(_ t: Float) -> (Float, Float, Float, Float) {
    let a: Float = -0.75
    func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
    func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
    return (far(t + 1), near(t), near(1 - t), far(2 - t))
}

/// `F.interpolate(x, scale_factor=(sy, sx), mode="bicubic", align_corners=False)`
/// with torch's semantics: the output size is `floor(in · s)` and the source
/// coordinate uses the given factor itself (not in/out), which matters for
/// DINOv2's `+0.1` trick. Border taps are clamped.
func resizeBicubic(_ x: FeatureMap, scaleY: Double, scaleX: Double) -> FeatureMap {
    let oh = Int((Double(x.height) * scaleY).rounded(.down)), ow = Int((Double(x.width) * scaleX).rounded(.down))
    let ry = Float(1 / scaleY), rx = Float(1 / scaleX)
    func taps(_ n: Int, _ r: Float, _ inSize: Int) -> [([Int], (Float, Float, Float, Float))] {
        (0..<n).map { i in
            let src = r * (Float(i) + 0.5) - 0.5
            let f = src.rounded(.down)
            let i0 = Int(f)
            let idx = (-1...2).map { min(max(i0 + $0, 0), inSize - 1) }
            return (idx, cubicWeights(src - f))
        }
    }
    let ty = taps(oh, ry, x.height), tx = taps(ow, rx, x.width)
    let (ih, iw) = (x.height, x.width)
    var out = [Float](repeating: 0, count: x.channels * oh * ow)
    out.withUnsafeMutableBufferPointer { o in
        let dst = SendablePointer(o.baseAddress!)
        x.data.withUnsafeBufferPointer { s in
            let src = SendablePointer(UnsafeMutablePointer(mutating: s.baseAddress!))
            parallelFor(x.channels) { c in
                let p = src.base + c * ih * iw, q = dst.base + c * oh * ow
                for y in 0..<oh {
                    let (iy, wy) = ty[y]
                    for xo in 0..<ow {
                        let (ix, wx) = tx[xo]
                        func row(_ r: Int) -> Float {
                            let b = p + iy[r] * iw
                            return b[ix[0]] * wx.0 + b[ix[1]] * wx.1 + b[ix[2]] * wx.2 + b[ix[3]] * wx.3
                        }
                        q[y * ow + xo] = row(0) * wy.0 + row(1) * wy.1 + row(2) * wy.2 + row(3) * wy.3
                    }
                }
            }
        }
    }
    return FeatureMap(channels: x.channels, height: oh, width: ow, data: out)
}

/// Bilinear sample of a pixel-major (`h·w × c`) map at a normalised point
/// (`grid_sample`, `align_corners=False`, zero padding): the four corner rows and
/// weights, out-of-range corners dropped.
struct BilinearPoint {
    var index: (Int, Int, Int, Int)
    var weight: (Float, Float, Float, Float)

    init(x: Float, y: Float, height: Int, width: Int) {
        let ix = ((x + 1) * Float(width) - 1) / 2
        let iy = ((y + 1) * Float(height) - 1) / 2
        let fx = ix.rounded(.down), fy = iy.rounded(.down)
        let x0 = Int(fx), y0 = Int(fy)
        let tx = ix - fx, ty = iy - fy
        func at(_ xx: Int, _ yy: Int, _ w: Float) -> (Int, Float) {
            (xx >= 0 && xx < width && yy >= 0 && yy < height) ? (yy * width + xx, w) : (0, 0)
        }
        let a = at(x0, y0, (1 - tx) * (1 - ty)), b = at(x0 + 1, y0, tx * (1 - ty))
        let c = at(x0, y0 + 1, (1 - tx) * ty), d = at(x0 + 1, y0 + 1, tx * ty)
        index = (a.0, b.0, c.0, d.0)
        weight = (a.1, b.1, c.1, d.1)
    }
}

/// `F.grid_sample(y, flow.permute(0, 2, 3, 1), mode="bilinear", align_corners=False)`:
/// samples `y` at the normalised positions of the 2-channel `flow` (x then y).
func gridSample(_ y: FeatureMap, at flow: FeatureMap) -> FeatureMap {
    precondition(flow.channels == 2)
    let n = flow.planeSize, c = y.channels, (h, w) = (y.height, y.width), yn = y.planeSize
    var out = [Float](repeating: 0, count: c * n)
    out.withUnsafeMutableBufferPointer { o in
        let dst = SendablePointer(o.baseAddress!)
        y.data.withUnsafeBufferPointer { s in
            let src = SendablePointer(UnsafeMutablePointer(mutating: s.baseAddress!))
            flow.data.withUnsafeBufferPointer { f in
                let fp = SendablePointer(UnsafeMutablePointer(mutating: f.baseAddress!))
                let chunks = min(n, 64)
                parallelFor(chunks) { chunk in
                    for p in (n * chunk / chunks)..<(n * (chunk + 1) / chunks) {
                        let b = BilinearPoint(x: fp[p], y: fp[n + p], height: h, width: w)
                        for ch in 0..<c {
                            let plane = src.base + ch * yn
                            dst[ch * n + p] = plane[b.index.0] * b.weight.0 + plane[b.index.1] * b.weight.1
                                + plane[b.index.2] * b.weight.2 + plane[b.index.3] * b.weight.3
                        }
                    }
                }
            }
        }
    }
    return FeatureMap(channels: c, height: flow.height, width: flow.width, data: out)
}
