import Artifacts
import Foundation

/// Whole-file outputs built by a library that writes to a path itself (HDF5, SQLite),
/// so `AtomicFile`'s write-bytes-then-rename does not fit: the library writes a
/// temporary file in the destination folder, which is renamed over the target only
/// when complete.
enum AtomicOutput {
    static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    }

    static func moveIntoPlace(_ temp: String, _ path: String) throws {
        if rename(temp, path) != 0 {
            throw ArtifactError(file: path, "cannot move the finished file into place (\(String(cString: strerror(errno))))")
        }
    }
}
