/// A socket as NETLINK_SOCK_DIAG reports it: who created it and its inode.
public struct SocketOwner: Sendable, Hashable {
    /// The uid that created the socket (the fsuid at `socket(2)`), as seen from the gateway's user namespace.
    public var uid: UInt32
    /// The socket's inode: `/proc/PID/fd/N` of every process holding it reads `socket:[inode]`.
    /// Never 0 (sockets without an owner, such as TIME_WAIT ones, are not reported).
    public var inode: UInt64
    /// The socket's own end, as the kernel reports it.
    public var local: SocketEndpoint
    /// The socket's peer; port 0 and an unspecified address for an unconnected UDP socket.
    public var remote: SocketEndpoint
    /// The TCP state (1 established, 10 listen, ...; 7 "close" for UDP), as in `include/net/tcp_states.h`.
    public var state: UInt8
    /// The cgroup v2 id of the cgroup the socket was created in (`INET_DIAG_CGROUP_ID`): the inode
    /// number of that cgroup's directory in the unified hierarchy. nil when the kernel does not say.
    public var cgroupID: UInt64?

    public init(uid: UInt32, inode: UInt64, local: SocketEndpoint, remote: SocketEndpoint, state: UInt8, cgroupID: UInt64? = nil) {
        self.uid = uid
        self.inode = inode
        self.local = local
        self.remote = remote
        self.state = state
        self.cgroupID = cgroupID
    }
}
