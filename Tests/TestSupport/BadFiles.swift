import Foundation

/// Small hostile inputs built on the fly, so the committed fixtures stay tiny.
public enum BadFiles {
    /// The first `length` bytes of `source`, written to `folder/name`.
    public static func truncated(_ source: String, to length: Int, in folder: String, name: String) throws -> String {
        let path = folder + "/" + name
        try Data(contentsOf: URL(fileURLWithPath: source)).prefix(length).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A PNG whose header declares `width`×`height` (valid signature, IHDR with a correct
    /// CRC) followed by a few bytes of image data: what a decompression bomb looks like
    /// to a reader that trusts the header.
    public static func pngDeclaring(width: Int, height: Int, bitDepth: UInt8 = 8, colorType: UInt8 = 0) -> Data {
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ body: [UInt8]) {
            let typed = Array(type.utf8) + body
            out.append(contentsOf: be32(body.count) + typed + be32(Int(crc32(typed))))
        }
        chunk("IHDR", be32(width) + be32(height) + [bitDepth, colorType, 0, 0, 0])
        chunk("IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00])
        chunk("IEND", [])
        return out
    }

    /// CRC-32 as PNG chunks use it (ISO-HDLC polynomial, reflected).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
