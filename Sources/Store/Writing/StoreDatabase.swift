import Foundation
import GRDB
import Glibc

/// The recording's SQLite file, opened for the gateway's writer (or read-only for `verify` and
/// the read side).
///
/// Invariants of a writable opening:
/// - WAL (a `DatabasePool`), with `PRAGMA synchronous` as ``Options/durability`` says on every
///   connection (see ``StoreDurability`` for what a commit then survives).
/// - The file, its `-wal` and `-shm` are mode 0600: the file is created that way and SQLite gives
///   the others the database file's mode; existing ones are tightened.
/// - Every migration has run, and each chained table has exactly the columns ``StoreTable`` hashes.
public final class StoreDatabase: Sendable {
    public struct Options: Sendable {
        /// How long a write waits for another process holding the write lock (a `prune`).
        public var busyTimeout: Duration
        /// What a commit survives.
        public var durability: StoreDurability
        public init(busyTimeout: Duration = .seconds(2), durability: StoreDurability = .process) {
            self.busyTimeout = busyTimeout
            self.durability = durability
        }
    }

    public let path: String
    public let pool: DatabasePool
    public let isReadOnly: Bool
    /// What a commit survives (for a read-only opening: what the writer would use by default).
    public let durability: StoreDurability
    /// The file's device and inode when opened: a removed or replaced file is noticed.
    private let identity: FileIdentity?
    /// `INSERT` statements by table name, with `CAST(? AS BLOB)` for BLOB columns.
    let insertSQL: [String: String]

    private init(path: String, pool: DatabasePool, isReadOnly: Bool, durability: StoreDurability, identity: FileIdentity?,
                 insertSQL: [String: String]) {
        self.path = path
        self.pool = pool
        self.isReadOnly = isReadOnly
        self.durability = durability
        self.identity = identity
        self.insertSQL = insertSQL
    }

    /// Opens (creating it if needed) the store at `path` for writing and migrates it.
    public static func open(path: String, options: Options = Options()) throws(StoreOpenError) -> StoreDatabase {
        try prepareFile(at: path)
        var configuration = Configuration()
        configuration.label = "portcullis.store"
        configuration.busyMode = .timeout(options.busyTimeout.seconds)
        let synchronous = "PRAGMA synchronous = \(options.durability.synchronous)"
        configuration.prepareDatabase { db in
            try db.execute(sql: synchronous)
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets NORMAL when it turns WAL on, after `prepareDatabase`: the one writing
            // connection goes back to what the durability asks.
            try pool.writeWithoutTransaction { try $0.execute(sql: synchronous) }
        } catch {
            throw .sqlite(path: path, message: Self.message(error))
        }
        do {
            let migrator = StoreSchema.migrator()
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreOpenError.incompatible(path: path, reason: "it was written by a newer Portcullis (unknown migrations)")
            }
            try migrator.migrate(pool)
        } catch let error as StoreOpenError {
            throw error
        } catch {
            throw .migration(path: path, message: Self.message(error))
        }
        let insertSQL = try checkTables(pool, path: path)
        for suffix in ["-wal", "-shm"] { try restrictMode(path + suffix, create: false) }
        return StoreDatabase(path: path, pool: pool, isReadOnly: false, durability: options.durability, identity: FileIdentity(path: path),
                             insertSQL: insertSQL)
    }

    /// Opens an existing store without writing to it; never creates or migrates.
    public static func openReadOnly(path: String) throws(StoreOpenError) -> StoreDatabase {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw .missing(path: path) }
            throw .sqlite(path: path, message: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notAFile(path: path) }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "portcullis.store.read"
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            let applied = try pool.read { try StoreSchema.migrator().appliedIdentifiers($0) }
            guard applied.contains("v1: the recording") else {
                throw StoreOpenError.incompatible(path: path, reason: "it is not a Portcullis recording (no recording schema)")
            }
            if let missing = StoreSchema.migrator().migrations.first(where: { !applied.contains($0) }) {
                throw StoreOpenError.incompatible(path: path, reason: "its schema predates this portcullis (it lacks \"\(missing)\"); running portcullis up once upgrades it")
            }
        } catch let error as StoreOpenError {
            throw error
        } catch {
            throw .sqlite(path: path, message: Self.message(error))
        }
        return StoreDatabase(path: path, pool: pool, isReadOnly: true, durability: .process, identity: FileIdentity(path: path),
                             insertSQL: [:])
    }

    /// Why the store cannot take writes right now, or `nil` when it can: the file is gone or was
    /// replaced, was made read-only (mode without owner write, which stops root too), or the
    /// process may not write it. Cheap (two system calls); the writer asks before every commit.
    public func unwritableReason() -> String? {
        guard !isReadOnly else { return "the store \(path) was opened read-only" }
        var info = stat()
        guard stat(path, &info) == 0 else {
            return "the store file \(path) is gone (\(String(cString: strerror(errno))))"
        }
        if let identity, FileIdentity(info) != identity {
            return "the store file \(path) was replaced by another file (restart the gateway to record into it)"
        }
        if info.st_mode & S_IWUSR == 0 {
            return "the store file \(path) is read-only (mode \(String(info.st_mode & 0o7777, radix: 8)))"
        }
        if access(path, W_OK) != 0 {
            return "the store file \(path) is not writable (\(String(cString: strerror(errno))))"
        }
        return nil
    }

    public func close() throws {
        try pool.close()
    }

    // MARK: - Opening

    private static func prepareFile(at path: String) throws(StoreOpenError) {
        let directory = (path as NSString).deletingLastPathComponent
        var info = stat()
        let dir = directory.isEmpty ? "." : directory
        guard stat(dir, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw .directoryMissing(path: path, directory: dir)
        }
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFREG else { throw .notAFile(path: path) }
            if info.st_mode & S_IWUSR == 0 {
                throw .notWritable(path: path, reason: "the file is read-only (mode \(String(info.st_mode & 0o7777, radix: 8)))")
            }
            guard access(path, R_OK | W_OK) == 0 else {
                throw .notWritable(path: path, reason: String(cString: strerror(errno)))
            }
            try restrictMode(path, create: false)
            return
        }
        guard errno == ENOENT else { throw .cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        if access(dir, W_OK | X_OK) != 0 {
            throw .cannotCreate(path: path, reason: "the directory \(dir) is not writable (\(String(cString: strerror(errno))))")
        }
        try restrictMode(path, create: true)
    }

    /// Creates the file with mode 0600, or takes group and other permissions off an existing one.
    private static func restrictMode(_ path: String, create: Bool) throws(StoreOpenError) {
        if create {
            let fd = Glibc.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .cannotCreate(path: path, reason: String(cString: strerror(errno))) }
            Glibc.close(fd)
            return
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return }
        guard chmod(path, mode & 0o700) == 0 else {
            throw .insecureMode(path: path, mode: UInt32(mode), reason: String(cString: strerror(errno)))
        }
    }

    /// Checks each chained table's columns against ``StoreTable`` and builds its INSERT.
    private static func checkTables(_ pool: DatabasePool, path: String) throws(StoreOpenError) -> [String: String] {
        do {
            return try pool.read { db in
                var statements: [String: String] = [:]
                for table in StoreTable.all {
                    let info = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table.name))")
                    let names: [String] = info.map { $0["name"] }
                    let types: [String] = info.map { ($0["type"] as String? ?? "").uppercased() }
                    guard names == ["seq", "hash"] + table.columns else {
                        throw StoreOpenError.incompatible(
                            path: path, reason: "table \(table.name) has columns \(names), expected \(["seq", "hash"] + table.columns)")
                    }
                    let placeholders = types.map { $0 == "BLOB" ? "CAST(? AS BLOB)" : "?" }
                    statements[table.name] = "INSERT INTO \(table.name) (\(names.joined(separator: ", "))) VALUES ("
                        + placeholders.joined(separator: ", ") + ")"
                }
                return statements
            }
        } catch let error as StoreOpenError {
            throw error
        } catch {
            throw .sqlite(path: path, message: message(error))
        }
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}
