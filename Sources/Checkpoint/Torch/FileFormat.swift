import Foundation

/// What a weights file is, told from its first bytes rather than its name, so a
/// renamed file is still read correctly and an old one is refused clearly.
enum WeightsFileFormat {
    case torchZip
    case safetensors
    case torchLegacy
    case unknown

    static func detect(_ path: String) throws -> WeightsFileFormat {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw CheckpointError(file: path, "no such file")
        }
        guard !isFolder.boolValue else { throw CheckpointError(file: path, "is a folder, not a weights file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CheckpointError(file: path, "cannot be opened for reading")
        }
        defer { try? handle.close() }
        // The throwing read: FileHandle's older readData(ofLength:) traps on I/O errors.
        let head: [UInt8]
        do {
            head = [UInt8](try handle.read(upToCount: 512) ?? Data())
        } catch {
            throw CheckpointError(file: path, "cannot be read (\(error.localizedDescription))")
        }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .torchZip }
        // safetensors: 8-byte little-endian header length, then a JSON object. Tested
        // before the pickle magic: a header length whose low byte is 0x80 (1 in 256
        // files) starts with the same byte as a pickle. A legacy file's 9th byte lies
        // inside its magic number, never "{".
        if head.count >= 9, head[8] == UInt8(ascii: "{") { return .safetensors }
        // torch.save before 1.6 (or with _use_new_zipfile_serialization=False) writes
        // bare pickles back to back; older still, a tar archive.
        if head.first == 0x80 { return .torchLegacy }
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return .torchLegacy }
        return .unknown
    }
}
