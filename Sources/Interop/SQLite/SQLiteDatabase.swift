import Artifacts
import CSQLite
import Foundation

/// A thin layer over SQLite's C API: statements with bound integers, text and blobs.
/// One connection per instance, used from one thread.
public final class SQLiteDatabase {
    public let path: String
    private var handle: OpaquePointer?

    /// SQLite copies bound values with this destructor (the C macro SQLITE_TRANSIENT).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            handle = nil
            throw ArtifactError(file: path, "cannot open as an SQLite database (\(message))")
        }
    }

    deinit { close() }

    public func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private var lastError: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed" }

    /// Runs one or more statements without results.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? lastError
            sqlite3_free(message)
            throw ArtifactError(file: path, "SQLite: \(text)")
        }
    }

    public enum Value {
        case integer(Int64)
        case real(Double)
        case text(String)
        case blob(Data)
        case null
    }

    /// Runs one statement with bound values; returns its rows (integers and text only).
    @discardableResult
    public func run(_ sql: String, _ values: [Value] = []) throws -> [[Value]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw ArtifactError(file: path, "SQLite: \(lastError) in \(sql)")
        }
        defer { sqlite3_finalize(statement) }
        for (k, value) in values.enumerated() {
            let index = Int32(k + 1)
            let status: Int32
            switch value {
            case .integer(let v): status = sqlite3_bind_int64(statement, index, v)
            case .real(let v): status = sqlite3_bind_double(statement, index, v)
            case .text(let v): status = sqlite3_bind_text(statement, index, v, -1, Self.transient)
            case .blob(let v): status = v.withUnsafeBytes { sqlite3_bind_blob64(statement, index, $0.baseAddress, sqlite3_uint64($0.count), Self.transient) }
            case .null: status = sqlite3_bind_null(statement, index)
            }
            guard status == SQLITE_OK else { throw ArtifactError(file: path, "SQLite: \(lastError) binding value \(k + 1) of \(sql)") }
        }
        var rows: [[Value]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw ArtifactError(file: path, "SQLite: \(lastError) in \(sql)") }
            rows.append((0..<sqlite3_column_count(statement)).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
                case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, column)))
                case SQLITE_NULL: return .null
                default:
                    let count = Int(sqlite3_column_bytes(statement, column))
                    guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return .blob(Data()) }
                    return .blob(Data(bytes: bytes, count: count))
                }
            })
        }
        return rows
    }
}

extension SQLiteDatabase.Value {
    /// Little-endian bytes of plain numbers, as COLMAP's blobs store them.
    static func blob<T: FixedWidthInteger>(_ values: [T]) -> Self {
        .blob(values.map { $0.littleEndian }.withUnsafeBytes { Data($0) })
    }

    static func blob(_ values: [Float]) -> Self { .blob(values.map { $0.bitPattern }) }
    static func blob(_ values: [Double]) -> Self { .blob(values.map { $0.bitPattern }) }
}
