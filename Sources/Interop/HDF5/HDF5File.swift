import Artifacts
import Foundation
import HDF5Loader

/// The part of HDF5 that hloc's files use: nested groups, and numeric datasets read
/// as Double or Int64 whatever their stored width (hloc writes int16 or int32 matches,
/// float16 or float32 scores), or written as float32 / int32.
///
/// Debian's serial libhdf5 is not thread-safe, so every call goes through one lock.
/// Errors name the file and the object; HDF5's own error stack printing is switched
/// off so that a bad file gives one clear line, not a page of library internals.
public final class HDF5File {
    public let path: String
    private var id: hid_t
    private static let lock = NSLock()

    /// The 8-byte signature every HDF5 file starts with (at offset 0 unless a user block precedes it).
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    deinit { close() }

    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private static func initialise() {
        _ = roma_h5_open()
        _ = roma_h5_Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
    }

    /// Opens an existing file read-only.
    public static func open(_ path: String) throws -> HDF5File {
        guard FileManager.default.fileExists(atPath: path) else { throw ArtifactError(file: path, "no such file") }
        return try locked {
            initialise()
            let id = roma_h5_Fopen(path, roma_h5_read_only(), hid_t(H5P_DEFAULT))
            guard id >= 0 else {
                let head = (FileHandle(forReadingAtPath: path)?.readData(ofLength: 8)).map { [UInt8]($0) } ?? []
                if head != signature {
                    throw ArtifactError(file: path, "not an HDF5 file (no HDF5 signature at its start)")
                }
                throw ArtifactError(file: path, "HDF5 file cannot be opened: truncated or corrupt")
            }
            return HDF5File(path: path, id: id)
        }
    }

    /// Creates (or truncates) a file for writing.
    public static func create(_ path: String) throws -> HDF5File {
        try locked {
            initialise()
            let id = roma_h5_Fcreate(path, roma_h5_truncate(), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            guard id >= 0 else { throw ArtifactError(file: path, "cannot create an HDF5 file here") }
            return HDF5File(path: path, id: id)
        }
    }

    /// Flushes and closes; reports a failure (a full disk shows up here).
    public func finish() throws {
        let status = Self.locked { () -> herr_t in
            guard id >= 0 else { return 0 }
            let s = roma_h5_Fclose(id)
            id = -1
            return s
        }
        if status < 0 { throw ArtifactError(file: path, "HDF5 file could not be completed (disk full?)") }
    }

    public func close() {
        Self.locked {
            if id >= 0 { _ = roma_h5_Fclose(id) }
            id = -1
        }
    }

    // MARK: Structure

    /// Whether an object (group or dataset) exists at `objectPath` ("a/b/c").
    public func exists(_ objectPath: String) -> Bool {
        Self.locked { existsUnlocked(objectPath) }
    }

    private func existsUnlocked(_ objectPath: String) -> Bool {
        var prefix = ""
        for part in objectPath.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + part
            guard roma_h5_Lexists(id, prefix, hid_t(H5P_DEFAULT)) > 0 else { return false }
        }
        return !prefix.isEmpty
    }

    /// Whether `objectPath` is a group.
    public func isGroup(_ objectPath: String) -> Bool {
        Self.locked {
            guard existsUnlocked(objectPath) else { return false }
            var info = H5O_info_t()
            guard roma_h5_Oget_info_by_name2(id, objectPath, &info, UInt32(H5O_INFO_BASIC), hid_t(H5P_DEFAULT)) >= 0 else { return false }
            return info.type == H5O_TYPE_GROUP
        }
    }

    /// Names of the direct members of a group ("" or "/" for the root).
    public func members(of group: String) throws -> [String] {
        try Self.locked {
            let name = group.isEmpty ? "/" : group
            let g = roma_h5_Gopen2(id, name, hid_t(H5P_DEFAULT))
            guard g >= 0 else { throw ArtifactError(file: path, "no group '\(group)'") }
            defer { roma_h5_Gclose(g) }
            var info = H5G_info_t()
            guard roma_h5_Gget_info(g, &info) >= 0 else { throw ArtifactError(file: path, "group '\(group)' cannot be listed") }
            var names: [String] = []
            for k in 0..<info.nlinks {
                let length = roma_h5_Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, k, nil, 0, hid_t(H5P_DEFAULT))
                guard length >= 0 else { continue }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                _ = roma_h5_Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, k, &buffer, buffer.count, hid_t(H5P_DEFAULT))
                names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }

    // MARK: Datasets

    /// What a dataset holds, enough to check a layout before reading it.
    public struct DatasetInfo: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable { case integer, float, other }
        public var kind: Kind
        /// Bytes per element.
        public var size: Int
        public var shape: [Int]
        public var description: String {
            let type = kind == .integer ? "int\(size * 8)" : kind == .float ? "float\(size * 8)" : "a non-numeric type"
            return "\(type) of shape \(shape)"
        }
    }

    public func info(_ dataset: String) throws -> DatasetInfo {
        try Self.locked {
            try withDataset(dataset) { d in try infoUnlocked(d, dataset) }
        }
    }

    private func withDataset<T>(_ dataset: String, _ body: (hid_t) throws -> T) throws -> T {
        guard existsUnlocked(dataset) else { throw ArtifactError(file: path, "no dataset '\(dataset)'") }
        let d = roma_h5_Dopen2(id, dataset, hid_t(H5P_DEFAULT))
        guard d >= 0 else { throw ArtifactError(file: path, "'\(dataset)' is not a dataset") }
        defer { roma_h5_Dclose(d) }
        return try body(d)
    }

    private func infoUnlocked(_ d: hid_t, _ dataset: String) throws -> DatasetInfo {
        let type = roma_h5_Dget_type(d)
        defer { roma_h5_Tclose(type) }
        let space = roma_h5_Dget_space(d)
        defer { roma_h5_Sclose(space) }
        let rank = roma_h5_Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw ArtifactError(file: path, "dataset '\(dataset)' has an unreadable shape") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        _ = roma_h5_Sget_simple_extent_dims(space, &dims, nil)
        let typeClass = roma_h5_Tget_class(type)
        let kind: DatasetInfo.Kind = typeClass == H5T_INTEGER ? .integer : typeClass == H5T_FLOAT ? .float : .other
        return DatasetInfo(kind: kind, size: roma_h5_Tget_size(type), shape: dims.map { Int($0) })
    }

    /// A floating-point dataset (any width, float16 included) as Double, row-major.
    public func readDoubles(_ dataset: String) throws -> (values: [Double], info: DatasetInfo) {
        try read(dataset, kind: .float, as: 0.0, memoryType: roma_h5_native_double())
    }

    /// An integer dataset (any width and signedness) as Int64, row-major.
    public func readIntegers(_ dataset: String) throws -> (values: [Int64], info: DatasetInfo) {
        try read(dataset, kind: .integer, as: Int64(0), memoryType: roma_h5_native_int64())
    }

    /// Reads a dataset of `kind`, converted by HDF5 to the memory type of `T`.
    private func read<T>(_ dataset: String, kind: DatasetInfo.Kind, as zero: T, memoryType: hid_t) throws -> (values: [T], info: DatasetInfo) {
        try Self.locked {
            try withDataset(dataset) { d in
                let info = try infoUnlocked(d, dataset)
                guard info.kind == kind else {
                    throw ArtifactError(file: path, "dataset '\(dataset)' is \(info), expected \(kind == .float ? "floating point" : "integers")")
                }
                var values = [T](repeating: zero, count: info.shape.reduce(1, *))
                let status = values.withUnsafeMutableBytes { roma_h5_Dread(d, memoryType, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), $0.baseAddress) }
                guard status >= 0 else { throw ArtifactError(file: path, "dataset '\(dataset)' cannot be read (truncated file?)") }
                return (values, info)
            }
        }
    }

    /// Writes a float32 dataset, creating the groups on its path.
    public func write(_ dataset: String, _ values: [Float], shape: [Int]) throws {
        try Self.locked {
            try values.withUnsafeBytes { try writeUnlocked(dataset, fileType: roma_h5_file_float32(), memoryType: roma_h5_native_float(), shape: shape, bytes: $0.baseAddress) }
        }
    }

    /// Writes an int32 dataset, creating the groups on its path.
    public func write(_ dataset: String, _ values: [Int32], shape: [Int]) throws {
        try Self.locked {
            try values.withUnsafeBytes { try writeUnlocked(dataset, fileType: roma_h5_file_int32(), memoryType: roma_h5_native_int32(), shape: shape, bytes: $0.baseAddress) }
        }
    }

    private func writeUnlocked(_ dataset: String, fileType: hid_t, memoryType: hid_t, shape: [Int], bytes: UnsafeRawPointer?) throws {
        var dims = shape.map { hsize_t($0) }
        let space = roma_h5_Screate_simple(Int32(dims.count), &dims, nil)
        defer { roma_h5_Sclose(space) }
        let linkProperties = roma_h5_Pcreate(roma_h5_link_create())
        defer { roma_h5_Pclose(linkProperties) }
        _ = roma_h5_Pset_create_intermediate_group(linkProperties, 1)
        let d = roma_h5_Dcreate2(id, dataset, fileType, space, linkProperties, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard d >= 0 else { throw ArtifactError(file: path, "cannot create dataset '\(dataset)' (exists already?)") }
        defer { roma_h5_Dclose(d) }
        // An empty dataset has no buffer to hand over; HDF5 needs no write then.
        if shape.reduce(1, *) > 0, roma_h5_Dwrite(d, memoryType, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), bytes) < 0 {
            throw ArtifactError(file: path, "cannot write dataset '\(dataset)'")
        }
    }
}
