import Foundation

/// Whole-file writes that never leave a half-written file behind: the bytes go to
/// a temporary file in the destination folder, which is then renamed over the target.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ArtifactError(file: path, "cannot create folder \(folder.path) (\(error.localizedDescription))")
        }
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temp.path, contents: data) else {
            throw ArtifactError(file: path, "cannot write (folder not writable or disk full)")
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw ArtifactError(file: path, "cannot move the finished file into place (\(reason))")
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
