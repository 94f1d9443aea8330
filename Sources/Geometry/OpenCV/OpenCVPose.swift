import OpenCVLoader

/// OpenCV's estimators through the C shim, so `--solver opencv` and the benchmark
/// compare against the reference protocol inside our own tool.
public enum OpenCVPose {
    public struct Essential: Sendable {
        public var pose: RelativePose
        public var essential: Mat3
        public var inliers: [UInt8]
        public var inFront: Int
    }

    public enum Outcome<T: Sendable>: Sendable {
        case success(T)
        case noModel
        case failure(String)
    }

    /// romatch's `estimate_pose` call: findEssentialMat(RANSAC, prob, threshold,
    /// maxIters) on normalised points with K = I, then recoverPose per returned E.
    public static func essential(_ data: Correspondences, threshold: Double, confidence: Double,
                                 maxIterations: Int = 1000) -> Outcome<Essential> {
        let n = data.count
        var a = [Double](repeating: 0, count: 2 * n), b = a
        for i in 0..<n { a[2 * i] = data.xa[i]; a[2 * i + 1] = data.ya[i]; b[2 * i] = data.xb[i]; b[2 * i + 1] = data.yb[i] }
        var r = [Double](repeating: 0, count: 9), t = [Double](repeating: 0, count: 3), e = r
        var mask = [UInt8](repeating: 0, count: n)
        var front: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = roma_cv_essential_pose(a, b, Int32(n), threshold, confidence, Int32(maxIterations), &r, &t, &e, &mask,
                                            &front, &message, Int32(message.count))
        switch status {
        case ROMA_CV_POSE_OK:
            let pose = RelativePose(rotation: Mat3(r), translation: SIMD3(t[0], t[1], t[2]))
            return .success(Essential(pose: pose, essential: Mat3(e), inliers: mask, inFront: Int(front)))
        case ROMA_CV_POSE_NO_MODEL:
            return .noModel
        default:
            return .failure(cString(message))
        }
    }

    public enum FundamentalMethod: Sendable {
        case ransac, usacAccurate
        var code: Int32 {
            switch self {
            case .ransac: return roma_cv_method_ransac()
            case .usacAccurate: return roma_cv_method_usac_accurate()
            }
        }
    }

    /// findFundamentalMat on pixel points.
    public static func fundamental(_ data: Correspondences, method: FundamentalMethod, threshold: Double, confidence: Double,
                                   maxIterations: Int) -> Outcome<(Mat3, [UInt8])> {
        let n = data.count
        var a = [Double](repeating: 0, count: 2 * n), b = a
        for i in 0..<n { a[2 * i] = data.xa[i]; a[2 * i + 1] = data.ya[i]; b[2 * i] = data.xb[i]; b[2 * i + 1] = data.yb[i] }
        var f = [Double](repeating: 0, count: 9)
        var mask = [UInt8](repeating: 0, count: n)
        var message = [CChar](repeating: 0, count: 512)
        let status = roma_cv_fundamental(a, b, Int32(n), method.code, threshold, confidence, Int32(maxIterations), &f, &mask,
                                         &message, Int32(message.count))
        switch status {
        case ROMA_CV_POSE_OK: return .success((Mat3(f), mask))
        case ROMA_CV_POSE_NO_MODEL: return .noModel
        default: return .failure(cString(message))
        }
    }

    private static func cString(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
