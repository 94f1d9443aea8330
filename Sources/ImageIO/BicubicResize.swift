import Foundation

/// Pillow's bicubic resize of 8-bit images, which the reference uses through
/// torchvision's `Resize(size, InterpolationMode.BICUBIC)` on PIL images.
///
/// Behaviour that matters for bit-exact agreement, as Pillow's resampler defines it:
/// - a separable filter, horizontal pass first, then vertical;
/// - the cubic convolution kernel with a = −0.5 and support 2, stretched by the
///   scale on downscale (antialiasing) and never shrunk on upscale;
/// - per output sample, weights normalised to sum 1 and then quantised to fixed
///   point with 22 fractional bits, accumulated from a half-unit rounding offset;
/// - the intermediate image after the horizontal pass is clipped to 8 bits.
public enum BicubicResize {
    static let precisionBits = 22

    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "target size must be positive")
        if width == image.width && height == image.height { return image }
        // Horizontal pass over just the rows the vertical pass will read.
        let vertical = Kernel(inSize: image.height, outSize: height)
        let firstRow = vertical.start[0]
        let lastRow = vertical.start[height - 1] + vertical.length[height - 1]
        var current = image
        var rowOffset = 0
        if width != image.width {
            current = horizontal(image, rows: firstRow..<lastRow, width: width)
            rowOffset = firstRow
        }
        if height != image.height {
            current = verticalPass(current, kernel: vertical, rowOffset: rowOffset)
        }
        return current
    }

    /// The cubic convolution kernel with a = −0.5.
    static func cubic(_ t: Double) -> Double {
        let a = -0.5
        let x = abs(t)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Fixed-point filter taps for one axis: output i reads inputs start[i] ..< start[i] + length[i].
    struct Kernel {
        var start: [Int]
        var length: [Int]
        var taps: [Int32]   // `width` taps per output sample
        var width: Int

        init(inSize: Int, outSize: Int) {
            let scale = Double(inSize) / Double(outSize)
            let filterScale = max(scale, 1)
            let support = 2.0 * filterScale
            width = Int(support.rounded(.up)) * 2 + 1
            start = [Int](repeating: 0, count: outSize)
            length = [Int](repeating: 0, count: outSize)
            taps = [Int32](repeating: 0, count: outSize * width)
            var weights = [Double](repeating: 0, count: width)
            let one = Double(1 << BicubicResize.precisionBits)
            for i in 0..<outSize {
                let center = (Double(i) + 0.5) * scale
                // Truncation toward zero after adding 0.5, as C's (int) cast does.
                let lo = max(0, Int(center - support + 0.5))
                let hi = min(inSize, Int(center + support + 0.5))
                let n = hi - lo
                var sum = 0.0
                for k in 0..<n {
                    let w = BicubicResize.cubic((Double(k + lo) - center + 0.5) / filterScale)
                    weights[k] = w
                    sum += w
                }
                for k in 0..<n {
                    let w = sum != 0 ? weights[k] / sum : weights[k]
                    taps[i * width + k] = Int32(w < 0 ? (-0.5 + w * one).rounded(.towardZero) : (0.5 + w * one).rounded(.towardZero))
                }
                start[i] = lo
                length[i] = n
            }
        }
    }

    @inline(__always)
    static func clip8(_ v: Int) -> UInt8 {
        if v >= (1 << precisionBits) << 8 { return 255 }
        if v <= 0 { return 0 }
        return UInt8(v >> precisionBits)
    }

    static func horizontal(_ image: RGBImage, rows: Range<Int>, width: Int) -> RGBImage {
        let kernel = Kernel(inSize: image.width, outSize: width)
        var out = [UInt8](repeating: 0, count: width * rows.count * 3)
        let half = 1 << (precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (r, y) in rows.enumerated() {
                    let srcRow = y * image.width * 3
                    let dstRow = r * width * 3
                    for x in 0..<width {
                        var s0 = half, s1 = half, s2 = half
                        let base = kernel.start[x]
                        for k in 0..<kernel.length[x] {
                            let w = Int(kernel.taps[x * kernel.width + k])
                            let p = srcRow + (base + k) * 3
                            s0 += Int(src[p]) * w
                            s1 += Int(src[p + 1]) * w
                            s2 += Int(src[p + 2]) * w
                        }
                        dst[dstRow + x * 3] = clip8(s0)
                        dst[dstRow + x * 3 + 1] = clip8(s1)
                        dst[dstRow + x * 3 + 2] = clip8(s2)
                    }
                }
            }
        }
        return RGBImage(width: width, height: rows.count, pixels: out)
    }

    static func verticalPass(_ image: RGBImage, kernel: Kernel, rowOffset: Int) -> RGBImage {
        let height = kernel.start.count
        let rowBytes = image.width * 3
        var out = [UInt8](repeating: 0, count: rowBytes * height)
        let half = 1 << (precisionBits - 1)
        var acc = [Int](repeating: 0, count: rowBytes)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    for i in 0..<rowBytes { acc[i] = half }
                    let base = kernel.start[y] - rowOffset
                    for k in 0..<kernel.length[y] {
                        let w = Int(kernel.taps[y * kernel.width + k])
                        let row = (base + k) * rowBytes
                        for i in 0..<rowBytes { acc[i] += Int(src[row + i]) * w }
                    }
                    for i in 0..<rowBytes { dst[y * rowBytes + i] = clip8(acc[i]) }
                }
            }
        }
        return RGBImage(width: image.width, height: height, pixels: out)
    }
}
