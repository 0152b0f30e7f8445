import Foundation

/// `admin:` — the local admin socket that `pending`, `approve`, `deny`, `grant`, `revoke` and
/// `status` talk to. Root may always use it; members of `group` too.
struct AdminSection: Equatable {
    /// `nil` means `<stateDirectory>/admin/admin.sock`.
    var socket: String?
    /// A group name or a numeric gid, as written.
    var group: String?

    static func read(_ value: YAMLValue) throws(ConfigurationError) -> AdminSection {
        let fields = try value.mapping(allowed: ["socket", "group"])
        var section = AdminSection()
        if let v = fields["socket"] {
            let path = try v.string()
            guard path.hasPrefix("/") else { throw v.error("expected an absolute path, got '\(path)'") }
            guard path.utf8.count < 108 else { throw v.error("a unix socket path must be shorter than 108 bytes") }
            section.socket = path
        }
        if let v = fields["group"] {
            let group = try v.string()
            guard !group.isEmpty else { throw v.error("expected a group name or a numeric gid") }
            section.group = group
        }
        return section
    }

    /// The group's gid and name; nil without a group. Throws when no such group exists.
    func resolveGroup() throws(ConfigurationError) -> (gid: UInt32, name: String?)? {
        guard let group else { return nil }
        if let gid = UInt32(group) { return (gid, getgrgid(gid).map { String(cString: $0.pointee.gr_name) }) }
        guard let entry = getgrnam(group) else {
            throw ConfigurationError(file: "", line: nil, field: "admin.group", message: "no group named '\(group)' on this host")
        }
        return (entry.pointee.gr_gid, group)
    }
}
