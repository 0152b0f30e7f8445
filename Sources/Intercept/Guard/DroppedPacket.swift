import Kube

/// One packet the guard dropped, with what the kernel told about it.
public struct DroppedPacket: Sendable, Hashable {
    /// When the guard received it (wall clock).
    public var time: KubeTime
    /// Its 5-tuple; `nil` when the copied bytes did not even hold the IP addresses.
    public var flow: Flow?
    /// The socket owner's uid and gid (`NFQA_UID`/`NFQA_GID`, the fsuid/fsgid of whoever created the
    /// socket); `nil` for forwarded packets and packets without a full socket (time-wait, orphaned, kernel).
    public var uid: UInt32?
    public var gid: UInt32?
    /// The interface it came in on; `nil` for locally generated packets.
    public var inInterface: String?
    /// The interface it was going out on.
    public var outInterface: String?

    public init(time: KubeTime, flow: Flow?, uid: UInt32? = nil, gid: UInt32? = nil, inInterface: String? = nil,
                outInterface: String? = nil) {
        self.time = time
        self.flow = flow
        self.uid = uid
        self.gid = gid
        self.inInterface = inInterface
        self.outInterface = outInterface
    }

    /// Sent from this host (no input interface), as opposed to forwarded from a bridge or another host.
    public var isLocal: Bool { inInterface == nil }
}
