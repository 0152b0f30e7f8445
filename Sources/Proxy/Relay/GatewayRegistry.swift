import Foundation

/// The relay's list of enrolled gateway certificates: a JSON file in its state directory
/// (`gateways.json`), written by `portcullis relay enroll` and `revoke`, read by the running relay
/// whenever it changes (``GatewayRoster/update(_:)``).
///
/// Invariants: the file is replaced whole (a temporary file renamed over it), so a reader sees the
/// old list or the new one, never a part; writers take an exclusive lock on `gateways.json.lock`
/// around read-modify-write, so two enrolments at once both land. It holds no secret: names,
/// serials, fingerprints and dates (mode 644).
public struct GatewayRegistry: Sendable, Hashable, Codable {
    public var version = 1
    public var gateways: [GatewayEnrolment] = []

    public init(gateways: [GatewayEnrolment] = []) {
        self.gateways = gateways
    }

    /// A problem with the file, naming it.
    public struct FileError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// The registry in `path`; an empty one when the file does not exist (no gateway enrolled yet).
    public static func load(path: String) throws(FileError) -> GatewayRegistry {
        guard FileManager.default.fileExists(atPath: path) else { return GatewayRegistry() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        do {
            let registry = try JSONDecoder().decode(GatewayRegistry.self, from: data)
            guard registry.version == 1 else { throw FileError(path: path, message: "version \(registry.version) is not known to this portcullis") }
            return registry
        } catch let error as FileError {
            throw error
        } catch {
            throw FileError(path: path, message: "not a gateway registry: \(error)")
        }
    }

    /// Reads the registry under the lock, lets `change` modify it, and writes it back (mode 644,
    /// owned by `owner` when given) before the lock is released. Returns what `change` returned.
    public static func update<T>(path: String, owner: (uid: uid_t, gid: gid_t)?,
                                 _ change: (inout GatewayRegistry) throws -> T) throws -> T {
        let lockPath = path + ".lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw FileError(path: lockPath, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw FileError(path: lockPath, message: "cannot lock: \(String(cString: strerror(errno)))") }
        var registry = try load(path: path)
        let result = try change(&registry)
        try write(registry, to: path, owner: owner)
        return result
    }

    private static func write(_ registry: GatewayRegistry, to path: String, owner: (uid: uid_t, gid: gid_t)?) throws(FileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(registry)
        } catch {
            throw FileError(path: path, message: "cannot encode: \(error)")
        }
        let temporary = path + ".new"
        guard FileManager.default.createFile(atPath: temporary, contents: data + Data("\n".utf8),
                                             attributes: [.posixPermissions: 0o644]) else {
            throw FileError(path: temporary, message: "cannot write: \(String(cString: strerror(errno)))")
        }
        if let owner, chown(temporary, owner.uid, owner.gid) != 0 {
            unlink(temporary)
            throw FileError(path: temporary, message: "cannot hand it to uid \(owner.uid): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw FileError(path: path, message: "cannot replace: \(String(cString: strerror(errno)))")
        }
    }
}
