import Foundation

/// Finds the system programs the harness drives (`ip`, `setpriv`).
///
/// Looks in the standard system directories, not `$PATH`: test runners may start with a reduced `PATH`
/// that lacks `/usr/sbin`.
public enum SystemTools {
    static let searchDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]

    /// The absolute path of `name`, or a ``HarnessError`` naming the Debian package that provides it.
    public static func path(of name: String, package: String) throws -> String {
        for directory in searchDirectories {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw HarnessError("cannot find `\(name)` in \(searchDirectories.joined(separator: ", ")): "
            + "install the Debian package \(package) (scripts/setup.sh does)")
    }

    /// `ip` from iproute2.
    public static func ip() throws -> String { try path(of: "ip", package: "iproute2") }

    /// `setpriv` from util-linux.
    public static func setpriv() throws -> String { try path(of: "setpriv", package: "util-linux") }
}
