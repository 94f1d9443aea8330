// swift-tools-version:6.0
import PackageDescription

// OpenCV 4 from Debian (libopencv-dev). Only the C++ shim sees its headers.
let openCVLibraries = ["opencv_core", "opencv_imgcodecs", "opencv_imgproc", "opencv_features2d", "opencv_calib3d"]

let package = Package(
    name: "roma-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "roma", targets: ["roma"]),
        .executable(name: "roma-bench", targets: ["roma-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        // System libraries: OpenBLAS (cblas) and LAPACKE.
        .systemLibrary(name: "CLinearAlgebra", path: "Sources/CLinearAlgebra"),
        // Plain C entry points over OpenCV (decode, SIFT, drawing, reference pose).
        .target(
            name: "CVShim",
            path: "Sources/CVShim",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-std=c++17", "-O2"])],
            linkerSettings: openCVLibraries.map { .linkedLibrary($0) } + [.linkedLibrary("stdc++")]
        ),

        // NN's hot inner loops in C, dispatched at run time to AVX2/FMA or AVX-512.
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O3"])]),

        // Typed files every stage reads and writes, and shared plumbing.
        .target(name: "Artifacts"),
        .target(name: "Parallel", dependencies: ["CLinearAlgebra"]),
        .target(name: "Console"),

        // Pipeline stages, one module each.
        .target(name: "ImageIO", dependencies: ["Artifacts", "CVShim"]),
        .target(name: "NN", dependencies: ["CLinearAlgebra", "CKernels", "Parallel"]),
        .target(name: "Checkpoint", dependencies: ["Artifacts"]),
        .target(name: "RoMa", dependencies: ["NN", "Checkpoint", "Artifacts", "Parallel", "CLinearAlgebra"]),
        .target(name: "Sampling", dependencies: ["Artifacts", "CLinearAlgebra", "Parallel"]),
        .target(name: "Geometry", dependencies: ["Artifacts", "CLinearAlgebra", "CVShim", "Parallel"]),
        .target(name: "Baselines", dependencies: ["Artifacts", "CVShim", "ImageIO", "CLinearAlgebra", "Parallel"]),
        .target(name: "Evaluation", dependencies: ["Console", "Artifacts", "CVShim", "Geometry", "ImageIO", "Checkpoint", "Parallel"]),
        .target(name: "Pipeline", dependencies: ["Console", "Artifacts", "ImageIO", "RoMa", "Sampling", "Geometry", "Baselines", "Evaluation", "Checkpoint"]),

        .executableTarget(
            name: "roma",
            dependencies: ["Pipeline", "Console", "Artifacts", "ImageIO", "RoMa", "Sampling", "Geometry", "Baselines", "Evaluation", "NN", "Checkpoint", "Parallel",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .executableTarget(
            name: "roma-bench",
            dependencies: ["Pipeline", "Console", "Artifacts", "ImageIO", "RoMa", "Sampling", "Geometry", "Baselines", "Evaluation", "NN", "Checkpoint", "Parallel", "CLinearAlgebra", "CVShim",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Test support: fixture and ../shared lookup.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ArtifactsTests", dependencies: ["Artifacts", "TestSupport"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "Artifacts", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "CKernels", "Parallel", "Artifacts", "TestSupport"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Parallel", "Checkpoint", "Artifacts", "TestSupport"]),
        .testTarget(name: "RoMaTests", dependencies: ["RoMa", "NN", "Checkpoint", "Artifacts", "TestSupport", "Pipeline", "ImageIO"]),
        .testTarget(name: "SamplingTests", dependencies: ["Parallel", "Sampling", "Artifacts", "TestSupport"]),
        .testTarget(name: "GeometryTests", dependencies: ["Parallel", "Geometry", "Evaluation", "Artifacts", "TestSupport",
                                                          .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "BaselinesTests", dependencies: ["Baselines", "ImageIO", "Artifacts", "Parallel", "TestSupport"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Parallel", "Evaluation", "Geometry", "Artifacts", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["Artifacts", "TestSupport"]),
    ]
)
