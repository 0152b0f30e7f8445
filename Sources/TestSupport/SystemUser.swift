import Foundation

/// A user that exists in the host's passwd database, such as Debian's `postgres`.
///
/// Some programs refuse a bare numeric uid: `initdb` needs `getpwuid` to resolve its uid, and
/// `setpriv --init-groups` needs the name. Tests that run such programs look the user up here.
public struct SystemUser: Sendable, Hashable {
    public let name: String
    public let uid: UInt32
    public let gid: UInt32

    /// Looks `name` up with `getpwnam_r`; throws naming the package that creates the user when it is missing.
    public static func named(_ name: String, createdBy package: String) throws -> SystemUser {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &found)
        guard status == 0, found != nil else {
            throw HarnessError("no user \(name) on this host: install the Debian package \(package) (scripts/setup.sh does)")
        }
        return SystemUser(name: name, uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// `setpriv` arguments (before the command) that run as this user with its own groups.
    var setprivArguments: [String] {
        ["--reuid", name, "--regid", name, "--init-groups", "--"]
    }
}
