import Foundation

/// A read-only zip reader for the archives `torch.save` writes: entries stored
/// uncompressed, ZIP64 fields when the file is large. (Layout: PKWARE's
/// APPNOTE.TXT, sections 4.3 and 4.5.)
///
/// Written here rather than using ZIPFoundation, whose entry iterator traps on a
/// damaged local-header offset (`off_t(offset)` on a value above Int64.max, in
/// `Data.readStruct`, 0.9.20): our fuzz test found it within a few thousand
/// random byte flips. Here every offset and size read from the file is checked
/// against the file's real size before it is used, so damage gives an error,
/// and no allocation is larger than the file.
final class ZipFile: @unchecked Sendable {
    struct Entry {
        let name: String
        let method: UInt16
        let crc32: UInt32
        let compressedSize: UInt64
        let size: UInt64
        let localHeaderOffset: UInt64
    }

    let path: String
    let fileSize: UInt64
    /// Entries by name; for a repeated name, the first (as most zip readers do).
    let entries: [String: Entry]
    // A raw descriptor: pread is safe to call from several threads at once.
    private let descriptor: Int32

    init(_ path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw CheckpointError(file: path, "cannot be opened (\(String(cString: strerror(errno))))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw CheckpointError(file: path, "cannot be read (\(String(cString: strerror(errno))))")
        }
        fileSize = UInt64(status.st_size)
        do {
            entries = try Self.readCentralDirectory(descriptor: descriptor, fileSize: fileSize, path: path)
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// The bytes of `entry`, checked against its CRC-32.
    func contents(of entry: Entry) throws -> Data {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: path, "record '\(entry.name)' \(problem)") }
        guard entry.method == 0 else {
            throw fail("is compressed (method \(entry.method)); torch.save stores records uncompressed")
        }
        let header = try bytes(at: entry.localHeaderOffset, count: 30)
        guard header.u32(0) == 0x0403_4B50 else { throw fail("has no local header at offset \(entry.localHeaderOffset) (damaged zip)") }
        let start = entry.localHeaderOffset + 30 + UInt64(header.u16(26)) + UInt64(header.u16(28))
        guard entry.size == entry.compressedSize, start <= fileSize, entry.size <= fileSize - start else {
            throw fail("claims \(entry.size) bytes at offset \(start), beyond the \(fileSize)-byte file (truncated?)")
        }
        let data = try read(at: start, count: Int(entry.size))
        var crc = CRC32()
        data.withUnsafeBytes { crc.update($0) }
        guard crc.value == entry.crc32 else { throw fail("fails its CRC-32 check (corrupt download or disk)") }
        return data
    }

    // MARK: The central directory

    private static func readCentralDirectory(descriptor: Int32, fileSize: UInt64, path: String) throws -> [String: Entry] {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: path, "not a readable zip archive: \(problem)") }
        func bytes(at offset: UInt64, count: Int) throws -> ByteView {
            guard offset <= fileSize, UInt64(count) <= fileSize - offset else { throw fail("a record runs past the end of the file (truncated?)") }
            return ByteView(try pread(descriptor, at: offset, count: count, path: path))
        }

        // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KB, at the very end.
        let tailLength = Int(min(fileSize, 22 + 0xFFFF))
        guard tailLength >= 22 else { throw fail("file of \(fileSize) bytes is too short (truncated?)") }
        let tailStart = fileSize - UInt64(tailLength)
        let tail = try bytes(at: tailStart, count: tailLength)
        var end = -1
        for i in stride(from: tailLength - 22, through: 0, by: -1) where tail.u32(i) == 0x0605_4B50 {
            if i + 22 + Int(tail.u16(i + 20)) <= tailLength { end = i; break }
        }
        guard end >= 0 else { throw fail("no end-of-central-directory record (truncated?)") }
        var count = UInt64(tail.u16(end + 10))
        var directorySize = UInt64(tail.u32(end + 12))
        var directoryOffset = UInt64(tail.u32(end + 16))

        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a 20-byte locator just before the record points at the ZIP64 record.
            guard end >= 20, tail.u32(end - 20) == 0x0706_4B50 else { throw fail("ZIP64 fields without a ZIP64 locator") }
            let record = try bytes(at: tail.u64(end - 20 + 8), count: 56)
            guard record.u32(0) == 0x0606_4B50 else { throw fail("ZIP64 locator points to no ZIP64 record") }
            count = record.u64(32)
            directorySize = record.u64(40)
            directoryOffset = record.u64(48)
        }
        // Each entry takes at least 46 bytes; a count beyond that is damage, not a big archive.
        guard directorySize <= 1 << 30, count <= directorySize / 46 else {
            throw fail("central directory of \(directorySize) bytes cannot hold \(count) entries")
        }
        let directory = try bytes(at: directoryOffset, count: Int(directorySize))

        var entries: [String: Entry] = [:]
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= directory.count, directory.u32(at) == 0x0201_4B50 else { throw fail("damaged central directory entry") }
            let nameLength = Int(directory.u16(at + 28))
            let extraLength = Int(directory.u16(at + 30))
            let commentLength = Int(directory.u16(at + 32))
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else { throw fail("central directory entry runs past its end") }
            let name = String(decoding: directory.slice(at + 46, nameLength), as: UTF8.self)
            var compressed = UInt64(directory.u32(at + 20))
            var size = UInt64(directory.u32(at + 24))
            var offset = UInt64(directory.u32(at + 42))
            // ZIP64 extra field (id 1): the 64-bit values of whichever fields hold 0xFFFFFFFF, in this order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = directory.u16(extra)
                let length = Int(directory.u16(extra + 2))
                guard extra + 4 + length <= extraEnd else { throw fail("damaged extra field of '\(name)'") }
                if id == 1 {
                    var field = extra + 4
                    func wide(_ value: inout UInt64) throws {
                        guard value == 0xFFFF_FFFF else { return }
                        guard field + 8 <= extra + 4 + length else { throw fail("short ZIP64 field of '\(name)'") }
                        value = directory.u64(field)
                        field += 8
                    }
                    try wide(&size)
                    try wide(&compressed)
                    try wide(&offset)
                }
                extra += 4 + length
            }
            guard offset <= fileSize, compressed <= fileSize else {
                throw fail("entry '\(name)' lies beyond the \(fileSize)-byte file (truncated?)")
            }
            if entries[name] == nil {
                entries[name] = Entry(name: name, method: directory.u16(at + 10), crc32: directory.u32(at + 16),
                                      compressedSize: compressed, size: size, localHeaderOffset: offset)
            }
            at = next
        }
        return entries
    }

    // MARK: Reading

    private func bytes(at offset: UInt64, count: Int) throws -> ByteView {
        guard offset <= fileSize, UInt64(count) <= fileSize - offset else {
            throw CheckpointError(file: path, "a zip record runs past the end of the file (truncated?)")
        }
        return ByteView(try read(at: offset, count: count))
    }

    private func read(at offset: UInt64, count: Int) throws -> Data {
        try Self.pread(descriptor, at: offset, count: count, path: path)
    }

    /// Exactly `count` bytes at `offset`, or an error (pread may return fewer per call).
    private static func pread(_ descriptor: Int32, at offset: UInt64, count: Int, path: String) throws -> Data {
        var data = Data(count: count)
        var done = 0
        try data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
            while done < count {
                let n = Glibc.pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    throw CheckpointError(file: path, n == 0 ? "ends early (truncated)" : "cannot be read (\(String(cString: strerror(errno))))")
                }
                done += n
            }
        }
        return data
    }
}

/// Little-endian fields of a byte buffer; callers check bounds first.
private struct ByteView {
    let bytes: [UInt8]
    init(_ data: Data) { bytes = [UInt8](data) }
    var count: Int { bytes.count }
    func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
    func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) | UInt32(u16(i + 2)) << 16 }
    func u64(_ i: Int) -> UInt64 { UInt64(u32(i)) | UInt64(u32(i + 4)) << 32 }
    func slice(_ start: Int, _ length: Int) -> ArraySlice<UInt8> { bytes[start..<start + length] }
}
