import Foundation

/// A directory under `$TMPDIR` (default `/tmp`) named `pcl-<pid>-<purpose>-XXXXXX`, mode 0700.
///
/// Registered with ``CleanupRegistry/shared`` until ``remove()``; the owner pid in the name lets
/// ``StaleResourceSweep`` remove it if this process dies without cleaning up.
public final class TemporaryDirectory: Sendable, CustomStringConvertible {
    public let path: String
    private let cleanupToken: CleanupToken

    private init(path: String, cleanupToken: CleanupToken) {
        self.path = path
        self.cleanupToken = cleanupToken
    }

    public var description: String { path }

    static var baseDirectory: String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        return base.count > 1 && base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    /// Creates a fresh directory; `purpose` (letters, digits, `-`) appears in its name.
    public static func create(purpose: String) throws -> TemporaryDirectory {
        let safe = purpose.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        var template = Array("\(baseDirectory)/pcl-\(getpid())-\(safe)-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else {
            throw HarnessError("cannot create a temporary directory in \(baseDirectory): errno \(errno)")
        }
        let path = String(cString: result)
        let token = CleanupRegistry.shared.register("directory \(path)") {
            try? FileManager.default.removeItem(atPath: path)
        }
        return TemporaryDirectory(path: path, cleanupToken: token)
    }

    /// The owner pid of a directory name made by ``create(purpose:)``, or `nil` for other names.
    static func ownerPID(ofName name: String) -> Int32? {
        let parts = name.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == NamespaceName.prefix, let pid = Int32(parts[1]), pid > 0 else { return nil }
        return pid
    }

    /// The path of `name` inside this directory.
    public func path(_ name: String) -> String { path + "/" + name }

    /// Writes `contents` to `name` inside this directory and returns the file's path.
    @discardableResult
    public func write(_ contents: String, to name: String) throws -> String {
        let file = path(name)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Creates the subdirectory `name` and returns its path.
    public func makeDirectory(_ name: String) throws -> String {
        let directory = path(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Deletes the directory and everything in it. Idempotent.
    public func remove() {
        CleanupRegistry.shared.runNow(cleanupToken)
    }
}
