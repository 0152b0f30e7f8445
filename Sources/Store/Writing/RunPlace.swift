import Intercept

/// Where a connection's caller is, as a run records it: the same facts the connection's row holds.
/// A local caller is placed by uid and cgroup; a forwarded one (no uid) by its source address.
struct RunPlace: Sendable, Hashable {
    var uid: Int64?
    var cgroupID: Int64?
    var cgroup: String?
    var unit: String?
    var containerRuntime: String?
    var containerID: String?
    var podUID: String?
    var callerAddress: String?
    /// On a relay: the gateway the connection came from (its certificate's name).
    var gateway: String?

    init() {}

    init(_ caller: Caller, gateway: String? = nil) {
        self.gateway = gateway
        uid = caller.uid.map(Int64.init)
        cgroupID = caller.cgroup?.id.map { Int64(bitPattern: $0) }
        cgroup = caller.cgroupPath
        unit = caller.cgroupPath.flatMap(CgroupPathNames.unit(in:))
        containerRuntime = caller.container?.runtime
        containerID = caller.container?.id ?? caller.process?.containerID
        podUID = caller.cgroupPath.flatMap(CgroupPathNames.podUID(in:))
        callerAddress = caller.uid == nil ? caller.sourceAddress?.description : nil
    }
}
