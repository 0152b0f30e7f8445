/// Why the recording could not be read. Every case names the store's path.
public enum StoreReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No file at the path.
    case missing(path: String)
    /// SQLite could not open or read the file (permissions, not a database, corrupt).
    case unreadable(path: String, message: String)
    /// A SQLite database, but not one holding the recording's schema.
    case notAStore(path: String)
    /// A recording whose schema is older than the reader's.
    case outdated(path: String, missing: String)

    public var path: String {
        switch self {
        case .missing(let path), .unreadable(let path, _), .notAStore(let path), .outdated(let path, _): return path
        }
    }

    public var description: String {
        switch self {
        case .missing(let path):
            return "cannot open the store \(path): no such file"
        case .unreadable(let path, let message):
            return "cannot open the store \(path): \(message)"
        case .notAStore(let path):
            return "cannot open the store \(path): it is not a Portcullis recording (no recording schema)"
        case .outdated(let path, let missing):
            return "cannot read the store \(path): its schema predates this portcullis (it lacks \"\(missing)\"); running portcullis up once upgrades it"
        }
    }
}
