/// Where the admin socket is and who may use it.
public struct AdminConfiguration: Sendable, Hashable {
    /// The unix socket. Its directory should be the gateway's, mode 2750 with the admin group
    /// (`portcullis init` makes it so): the socket then gets the admin group and mode 660.
    public var socketPath: String
    /// Members of this group may use the socket, besides root.
    public var adminGroup: UInt32?
    /// The group's name, for messages.
    public var adminGroupName: String?

    public init(socketPath: String, adminGroup: UInt32? = nil, adminGroupName: String? = nil) {
        self.socketPath = socketPath
        self.adminGroup = adminGroup
        self.adminGroupName = adminGroupName
    }

    /// "root and members of group portcullis-admin (gid 64992)", or "root".
    public var allowedText: String {
        guard let adminGroup else { return "root" }
        return "root and members of group " + (adminGroupName.map { "\($0) (gid \(adminGroup))" } ?? "gid \(adminGroup)")
    }
}
