import Foundation
import ZIPFoundation

/// The zip container `torch.save` writes (the default since PyTorch 1.6):
///
///     <name>/data.pkl        the pickled object, storages replaced by persistent ids
///     <name>/byteorder       "little" (absent in older files, which are little-endian)
///     <name>/data/<key>      the raw bytes of each storage, stored uncompressed
///     <name>/version, .format_version, .storage_alignment, .data/serialization_id
///
/// Storages are read one at a time when a tensor is asked for, streamed through a
/// fixed-size buffer, so a multi-gigabyte checkpoint is never held in memory whole.
final class TorchZipArchive: @unchecked Sendable {
    let file: String
    /// The folder every record sits in, with its trailing slash ("" if none).
    let root: String
    // ZIPFoundation's Archive reads through one FILE*: calls must not interleave.
    private let archive: Archive
    private let lock = NSLock()
    private let entries: [String: Entry]

    init(_ path: String) throws {
        file = path
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw CheckpointError(file: path, "not a readable zip archive (truncated or corrupt: \(error))")
        }
        var byPath: [String: Entry] = [:]
        for entry in archive { byPath[entry.path] = entry }
        entries = byPath
        let pickles = byPath.keys.filter { $0 == "data.pkl" || ($0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2) }
        guard pickles.count == 1, let pickle = pickles.first else {
            throw CheckpointError(file: path, pickles.isEmpty
                ? "zip archive without a data.pkl record: not a torch.save checkpoint"
                : "zip archive with several data.pkl records (\(pickles.sorted().joined(separator: ", ")))")
        }
        root = String(pickle.dropLast("data.pkl".count))
    }

    /// A small record (data.pkl, byteorder) read whole; nil when absent.
    func record(_ name: String, limit: Int = 1 << 30) throws -> [UInt8]? {
        guard let entry = entries[root + name] else { return nil }
        guard entry.uncompressedSize <= UInt64(limit) else {
            throw CheckpointError(file: file, "record '\(name)' is \(entry.uncompressedSize) bytes, larger than any torch checkpoint writes")
        }
        return [UInt8](try read(entry, name: name))
    }

    /// Size in bytes of storage `key`, nil when the archive lacks it.
    func storageSize(_ key: String) -> UInt64? {
        entries[root + "data/" + key]?.uncompressedSize
    }

    /// The bytes of storage `key`, checked against the archive's CRC-32.
    func storage(_ key: String) throws -> Data {
        guard let entry = entries[root + "data/" + key] else {
            throw CheckpointError(file: file, "storage 'data/\(key)' is missing from the archive")
        }
        return try read(entry, name: "data/\(key)")
    }

    private func read(_ entry: Entry, name: String) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        // The header's size is only a claim: reserve no more than the file could hold.
        var data = Data(capacity: Int(clamping: min(entry.uncompressedSize, entry.compressedSize, 1 << 30)))
        var crc = CRC32()
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { chunk in
                chunk.withUnsafeBytes { crc.update($0) }
                data.append(chunk)
            }
        } catch {
            throw CheckpointError(file: file, "record '\(name)' cannot be read (truncated or corrupt: \(error))")
        }
        guard UInt64(data.count) == entry.uncompressedSize else {
            throw CheckpointError(file: file, "record '\(name)' holds \(data.count) bytes, its header says \(entry.uncompressedSize) (truncated)")
        }
        guard crc.value == entry.checksum else {
            throw CheckpointError(file: file, "record '\(name)' fails its CRC-32 check (corrupt download or disk)")
        }
        return data
    }
}
