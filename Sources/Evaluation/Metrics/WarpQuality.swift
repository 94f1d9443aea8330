import Artifacts

/// How close a predicted dense warp is to the ground-truth warp, over the cells the
/// ground truth marks visible in the other image (certainty > 0.5), both directions
/// (only A→B when the prediction's B→A is empty).
public struct WarpQuality: Sendable, Equatable {
    /// Mean end-point error in pixels of the target image.
    public var endPointError: Double
    /// Fraction of cells whose error is below each of `pckThresholds`.
    public var pck: [Double]
    /// Cells the ground truth marks valid (0 → no comparison possible; values are 0).
    public var validCells: Int

    public static let pckThresholds: [Double] = [1, 3, 5]

    public init(endPointError: Double, pck: [Double], validCells: Int) {
        self.endPointError = endPointError
        self.pck = pck
        self.validCells = validCells
    }

    /// Compares `predicted` with `truth`. The grids may differ: the prediction is
    /// sampled bilinearly (align_corners = false, border clamp) at each truth cell.
    public static func compare(predicted: Warp, truth: Warp, source: String = "<warp>") throws -> WarpQuality {
        guard predicted.widthA == truth.widthA, predicted.heightA == truth.heightA,
              predicted.widthB == truth.widthB, predicted.heightB == truth.heightB else {
            throw ArtifactError(file: source, "warp is for images \(predicted.widthA)x\(predicted.heightA) / \(predicted.widthB)x\(predicted.heightB), "
                                + "ground truth for \(truth.widthA)x\(truth.heightA) / \(truth.widthB)x\(truth.heightB)")
        }
        var sum = 0.0
        var below = [Int](repeating: 0, count: pckThresholds.count)
        var valid = 0
        for direction in 0..<2 {
            // A matcher run one way (Tiny RoMa, RoMa with --no-symmetric) leaves B→A empty,
            // with zero certainty everywhere: there is no prediction to score there.
            let predictedCertainty = direction == 0 ? predicted.certaintyAB : predicted.certaintyBA
            guard predictedCertainty.contains(where: { $0 > 0 }) else { continue }
            let truthWarp = direction == 0 ? truth.warpAB : truth.warpBA
            let truthCertainty = direction == 0 ? truth.certaintyAB : truth.certaintyBA
            let predictedWarp = direction == 0 ? predicted.warpAB : predicted.warpBA
            let (targetW, targetH) = direction == 0 ? (Double(truth.widthB), Double(truth.heightB)) : (Double(truth.widthA), Double(truth.heightA))
            for i in 0..<truth.height {
                for j in 0..<truth.width where truthCertainty[i * truth.width + j] > 0.5 {
                    let u = (2 * Double(j) + 1) / Double(truth.width) - 1
                    let v = (2 * Double(i) + 1) / Double(truth.height) - 1
                    let (pu, pv) = sample(predictedWarp, width: predicted.width, height: predicted.height, u: u, v: v)
                    let tu = Double(truthWarp[(i * truth.width + j) * 2]), tv = Double(truthWarp[(i * truth.width + j) * 2 + 1])
                    let dx = (pu - tu) * targetW / 2, dy = (pv - tv) * targetH / 2
                    let e = (dx * dx + dy * dy).squareRoot()
                    sum += e
                    valid += 1
                    for (k, t) in pckThresholds.enumerated() where e < t { below[k] += 1 }
                }
            }
        }
        guard valid > 0 else { return WarpQuality(endPointError: 0, pck: pckThresholds.map { _ in 0 }, validCells: 0) }
        return WarpQuality(endPointError: sum / Double(valid), pck: below.map { Double($0) / Double(valid) }, validCells: valid)
    }

    /// Bilinear sample of a `height × width × 2` field at normalised (u, v).
    static func sample(_ field: [Float], width: Int, height: Int, u: Double, v: Double) -> (Double, Double) {
        let x = min(max((u + 1) * Double(width) / 2 - 0.5, 0), Double(width - 1))
        let y = min(max((v + 1) * Double(height) / 2 - 0.5, 0), Double(height - 1))
        let x0 = Int(x), y0 = Int(y)
        let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
        let fx = x - Double(x0), fy = y - Double(y0)
        func at(_ yy: Int, _ xx: Int, _ c: Int) -> Double { Double(field[(yy * width + xx) * 2 + c]) }
        func lerp(_ c: Int) -> Double {
            (at(y0, x0, c) * (1 - fx) + at(y0, x1, c) * fx) * (1 - fy) + (at(y1, x0, c) * (1 - fx) + at(y1, x1, c) * fx) * fy
        }
        return (lerp(0), lerp(1))
    }
}
