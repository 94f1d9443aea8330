import Foundation

/// The zip container `torch.save` writes (the default since PyTorch 1.6):
///
///     <name>/data.pkl        the pickled object, storages replaced by persistent ids
///     <name>/byteorder       "little" (absent in older files, which are little-endian)
///     <name>/data/<key>      the raw bytes of each storage, stored uncompressed
///     <name>/version, .format_version, .storage_alignment, .data/serialization_id
///
/// Storages are read one at a time when a tensor is asked for, so a
/// multi-gigabyte checkpoint is never held in memory whole.
final class TorchZipArchive: Sendable {
    let file: String
    /// The folder every record sits in, with its trailing slash ("" if none).
    let root: String
    private let zip: ZipFile

    init(_ path: String) throws {
        file = path
        zip = try ZipFile(path)
        let pickles = zip.entries.keys.filter { $0 == "data.pkl" || ($0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2) }
        guard pickles.count == 1, let pickle = pickles.first else {
            throw CheckpointError(file: path, pickles.isEmpty
                ? "zip archive without a data.pkl record: not a torch.save checkpoint"
                : "zip archive with several data.pkl records (\(pickles.sorted().joined(separator: ", ")))")
        }
        root = String(pickle.dropLast("data.pkl".count))
    }

    /// A small record (data.pkl, byteorder) read whole; nil when absent.
    func record(_ name: String, limit: UInt64 = 1 << 30) throws -> [UInt8]? {
        guard let entry = zip.entries[root + name] else { return nil }
        guard entry.size <= limit else {
            throw CheckpointError(file: file, "record '\(name)' is \(entry.size) bytes, larger than any torch checkpoint writes")
        }
        return [UInt8](try zip.contents(of: entry))
    }

    /// Size in bytes of storage `key`, nil when the archive lacks it.
    func storageSize(_ key: String) -> UInt64? {
        zip.entries[root + "data/" + key]?.size
    }

    /// The bytes of storage `key`, checked against the archive's CRC-32.
    func storage(_ key: String) throws -> Data {
        guard let entry = zip.entries[root + "data/" + key] else {
            throw CheckpointError(file: file, "storage 'data/\(key)' is missing from the archive")
        }
        return try zip.contents(of: entry)
    }
}
