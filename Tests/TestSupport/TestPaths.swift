import Foundation

/// Locations tests need: the package root, committed fixtures, the optional
/// `../shared` data folder, and scratch folders.
public enum TestPaths {
    /// The package root, found from this file's own path (Tests/TestSupport/TestPaths.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A committed fixture under Tests/Fixtures.
    public static func fixture(_ relative: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relative).path
    }

    /// `../shared` beside the package (or `ROMA_SHARED`), when present. Tests that
    /// need it are disabled with a reason when it is absent, so they skip cleanly.
    public static let shared: String? = {
        if let env = ProcessInfo.processInfo.environment["ROMA_SHARED"], FileManager.default.fileExists(atPath: env) {
            return env
        }
        let path = packageRoot.deletingLastPathComponent().appendingPathComponent("shared").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    public static var hasShared: Bool { shared != nil }

    /// A file under ../shared, or nil when the folder or file is absent.
    public static func sharedFile(_ relative: String) -> String? {
        guard let shared else { return nil }
        let path = shared + "/" + relative
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A fresh empty folder for one test.
    public static func scratch(_ label: String = "test") -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("roma-\(label)-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The built `roma` executable next to the test bundle, for end-to-end tests.
    public static var romaExecutable: String? {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("roma").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("roma").path,
        ] + ((try? FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent(".build").path)) ?? [])
            .map { packageRoot.appendingPathComponent(".build/\($0)/roma").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
