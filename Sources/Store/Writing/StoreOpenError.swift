/// Why the store could not be opened. Every case names the path and says what to do.
public enum StoreOpenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The directory that should hold the store does not exist or is not a directory.
    case directoryMissing(path: String, directory: String)
    /// The store file could not be created (e.g. the directory is not writable).
    case cannotCreate(path: String, reason: String)
    /// Something other than a regular file is at the path.
    case notAFile(path: String)
    /// The file exists but cannot be written (read-only mode, permissions, read-only mount).
    case notWritable(path: String, reason: String)
    /// The file is readable by others and could not be restricted to mode 0600.
    case insecureMode(path: String, mode: UInt32, reason: String)
    /// There is no store at the path (read-only opening never creates one).
    case missing(path: String)
    /// SQLite refused the file: not a database, corrupt, locked.
    case sqlite(path: String, message: String)
    /// A migration failed.
    case migration(path: String, message: String)
    /// The file holds a recording made by a newer Portcullis, or no recording at all.
    case incompatible(path: String, reason: String)

    public var path: String {
        switch self {
        case .directoryMissing(let p, _), .cannotCreate(let p, _), .notAFile(let p), .notWritable(let p, _),
             .insecureMode(let p, _, _), .missing(let p), .sqlite(let p, _), .migration(let p, _), .incompatible(let p, _):
            p
        }
    }

    public var description: String {
        switch self {
        case .directoryMissing(let path, let directory):
            "cannot open the store \(path): the directory \(directory) does not exist or is not a directory"
        case .cannotCreate(let path, let reason):
            "cannot create the store \(path): \(reason)"
        case .notAFile(let path):
            "cannot open the store \(path): it is not a regular file"
        case .notWritable(let path, let reason):
            "cannot open the store \(path) for writing: \(reason)"
        case .insecureMode(let path, let mode, let reason):
            "the store \(path) has mode \(String(mode, radix: 8)) and cannot be restricted to 0600: \(reason)"
        case .missing(let path):
            "cannot open the store \(path): no such file"
        case .sqlite(let path, let message):
            "cannot open the store \(path): \(message)"
        case .migration(let path, let message):
            "cannot prepare the store \(path): \(message)"
        case .incompatible(let path, let reason):
            "cannot use the store \(path): \(reason)"
        }
    }
}
