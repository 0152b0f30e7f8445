import Foundation

/// The uids `doctor` treats as agents: those given with `--agent-user` (names or numbers), or
/// else every login user (uid 1000 and above) but the gateway.
struct AgentUsers {
    var uids: Set<UInt32>?
    var gatewayUID: UInt32

    func isAgent(_ uid: UInt32) -> Bool {
        if let uids { return uids.contains(uid) }
        return uid >= 1000 && uid != gatewayUID && uid != 65_534
    }

    /// Whether `uid` may read a file of `mode` owned by `owner` and `group` (by the mode bits).
    static func mayRead(uid: UInt32, mode: mode_t, owner: UInt32, group: UInt32) -> Bool {
        if uid == 0 { return true }
        if uid == owner { return mode & 0o400 != 0 }
        if groups(of: uid).contains(group) { return mode & 0o040 != 0 }
        return mode & 0o004 != 0
    }

    /// The primary and supplementary groups of `uid`, from the user database.
    static func groups(of uid: UInt32) -> [UInt32] {
        guard let entry = getpwuid(uid) else { return [] }
        let primary = entry.pointee.pw_gid
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(entry.pointee.pw_name, primary, &list, &count) < 0 {
            list = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(entry.pointee.pw_name, primary, &list, &count)
        }
        return Array(list.prefix(Int(max(0, count)))) + [primary]
    }

    static func resolve(_ names: [String]) throws(ConfigurationError) -> Set<UInt32> {
        var uids: Set<UInt32> = []
        for name in names {
            if let uid = UInt32(name) { uids.insert(uid); continue }
            guard let entry = getpwnam(name) else {
                throw ConfigurationError(file: "", line: nil, field: "--agent-user", message: "no user named '\(name)' on this host")
            }
            uids.insert(entry.pointee.pw_uid)
        }
        return uids
    }
}
