// swift-tools-version:6.0
import PackageDescription

// OpenCV 4 from Debian (libopencv-dev). Only the C++ shim sees its headers.
let openCVLibraries = ["opencv_core", "opencv_imgcodecs", "opencv_imgproc", "opencv_features2d", "opencv_calib3d"]
// The codecs OpenCV itself decodes with, driven directly to check files strictly
// (Sources/CVShim/cv_image_check.cpp): libjpeg62-turbo-dev, libpng-dev.
let codecLibraries = ["jpeg", "png16"]
// HDF5 headers of Debian's serial build (libhdf5-dev; `pkg-config --cflags hdf5-serial`).
let hdf5Headers = ["-I/usr/include/hdf5/serial"]

let package = Package(
    name: "roma-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "roma", targets: ["roma"]),
        .executable(name: "roma-bench", targets: ["roma-bench"]),
        .library(name: "RomaOpenCV", type: .dynamic, targets: ["CVShim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        // System libraries: OpenBLAS (cblas) and LAPACKE.
        .systemLibrary(name: "CLinearAlgebra", path: "Sources/CLinearAlgebra"),
        // Plain C entry points over OpenCV (decode, SIFT, drawing, reference pose), built
        // only as the dynamic library libRomaOpenCV.so (product RomaOpenCV). No target
        // depends on it: Swift code calls OpenCVLoader's stubs, which dlopen it on first
        // use, so `roma` starts without loading OpenCV (docs/stages.md).
        .target(
            name: "CVShim",
            path: "Sources/CVShim",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-std=c++17", "-O2"])],
            linkerSettings: (openCVLibraries + codecLibraries).map { .linkedLibrary($0) } + [.linkedLibrary("stdc++"), .unsafeFlags(["-Xlinker", "-Bsymbolic"])]
        ),
        .target(name: "OpenCVLoader", path: "Sources/OpenCVLoader", linkerSettings: [.linkedLibrary("dl")]),

        // NN's hot inner loops in C, dispatched at run time to AVX2/FMA or AVX-512.
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O3"])]),

        // Typed files every stage reads and writes, and shared plumbing.
        .target(name: "Artifacts"),
        .target(name: "Parallel", dependencies: ["CLinearAlgebra"]),
        .target(name: "Console"),

        // Pipeline stages, one module each.
        .target(name: "ImageIO", dependencies: ["Artifacts", "OpenCVLoader"]),
        .target(name: "NN", dependencies: ["CLinearAlgebra", "CKernels", "Parallel"]),
        .target(name: "Checkpoint", dependencies: ["Artifacts"]),
        .target(name: "RoMa", dependencies: ["NN", "Checkpoint", "Artifacts", "Parallel", "CLinearAlgebra", "CKernels"]),
        .target(name: "Sampling", dependencies: ["Artifacts", "Parallel"]),
        .target(name: "Geometry", dependencies: ["Artifacts", "CLinearAlgebra", "OpenCVLoader", "Parallel"]),
        .target(name: "Baselines", dependencies: ["Artifacts", "OpenCVLoader", "CLinearAlgebra", "Parallel"]),
        .target(name: "Evaluation", dependencies: ["Console", "Artifacts", "OpenCVLoader", "Geometry", "ImageIO", "Parallel"]),
        // hloc's HDF5 files and COLMAP's SQLite database (docs/interop.md), through
        // Debian's libhdf5-dev and libsqlite3-dev. HDF5 is not linked: HDF5Loader's stubs
        // dlopen it on first use (its dependencies would slow every start-up); only its
        // headers are used, from the folder pkg-config hdf5-serial names.
        .target(name: "HDF5Loader", path: "Sources/HDF5Loader", cSettings: [.unsafeFlags(hdf5Headers)], linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "Interop", dependencies: ["HDF5Loader", "CSQLite", "Artifacts", "Evaluation", "ImageIO"],
                swiftSettings: [.unsafeFlags(["-Xcc"] + hdf5Headers)]),
        .target(name: "Pipeline", dependencies: ["Console", "Parallel", "Artifacts", "ImageIO", "RoMa", "Sampling", "Geometry", "Baselines", "Evaluation", "Checkpoint"]),

        .executableTarget(
            name: "roma",
            dependencies: ["Pipeline", "Console", "Artifacts", "ImageIO", "Sampling", "Geometry", "Baselines", "Evaluation", "Checkpoint", "Parallel", "Interop",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .executableTarget(
            name: "roma-bench",
            dependencies: ["Artifacts", "ImageIO", "Evaluation", "Baselines", "RoMa", "Sampling", "Geometry", "NN", "Checkpoint", "Parallel", "CLinearAlgebra", "CKernels",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Test support: fixture and ../shared lookup.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ArtifactsTests", dependencies: ["Artifacts", "TestSupport"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "Artifacts", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "CKernels", "Parallel", "Artifacts", "TestSupport"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Parallel", "Checkpoint", "Artifacts", "TestSupport"]),
        .testTarget(name: "RoMaTests", dependencies: ["RoMa", "NN", "Checkpoint", "Artifacts", "ImageIO", "Pipeline", "TestSupport"]),
        .testTarget(name: "SamplingTests", dependencies: ["Parallel", "Sampling", "Artifacts", "TestSupport"]),
        .testTarget(name: "GeometryTests", dependencies: ["Parallel", "Geometry", "Evaluation", "Artifacts", "TestSupport",
                                                          .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "BaselinesTests", dependencies: ["Baselines", "Artifacts", "Parallel", "TestSupport"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Parallel", "Evaluation", "ImageIO", "Artifacts", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
        .testTarget(name: "InteropTests", dependencies: ["Interop", "Evaluation", "Artifacts", "TestSupport"]),
    ]
)
