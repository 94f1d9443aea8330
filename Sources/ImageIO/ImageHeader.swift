import Artifacts
import Foundation

/// Image size read from a PNG or JPEG header, without decoding the pixels: preparing a
/// benchmark needs the size of 3000 images (the protocol rescales intrinsics by it).
///
/// The stored pixel grid is reported, ignoring EXIF orientation, as `roma decode` does.
/// Plain Swift on the file's first bytes: no OpenCV, no decoding.
public enum ImageHeader {
    public static func size(of path: String) throws -> (width: Int, height: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ArtifactError(file: path, "image not found or not readable")
        }
        defer { try? handle.close() }
        // Headers sit near the start; JPEG EXIF blocks can push SOF past 64 KB, so read in steps.
        var data = Data()
        for _ in 0..<16 {
            let chunk = handle.readData(ofLength: 65536)
            data.append(chunk)
            if let size = parse([UInt8](data)) { return size }
            if chunk.isEmpty { break }
        }
        throw ArtifactError(file: path, "not a PNG or JPEG file whose size can be read")
    }

    /// Nil when the bytes are not (yet) a recognisable header.
    static func parse(_ b: [UInt8]) -> (width: Int, height: Int)? {
        if b.count >= 24, b[0] == 0x89, b[1] == 0x50, b[2] == 0x4E, b[3] == 0x47 {
            let w = Int(b[16]) << 24 | Int(b[17]) << 16 | Int(b[18]) << 8 | Int(b[19])
            let h = Int(b[20]) << 24 | Int(b[21]) << 16 | Int(b[22]) << 8 | Int(b[23])
            return w > 0 && h > 0 ? (w, h) : nil
        }
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var i = 2
        while i + 9 < b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            // Start-of-frame markers C0–CF, except DHT (C4), JPG (C8) and DAC (CC).
            if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC {
                let h = Int(b[i + 5]) << 8 | Int(b[i + 6])
                let w = Int(b[i + 7]) << 8 | Int(b[i + 8])
                return w > 0 && h > 0 ? (w, h) : nil
            }
            i += 2 + length
        }
        return nil
    }
}
