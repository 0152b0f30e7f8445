import Glibc
import Logging

/// Names who is behind a connection the gateway accepted, or a packet the guard holds.
///
/// - Local callers (a socket on this host): sock_diag gives the socket's uid, inode and cgroup id,
///   ``CgroupPaths`` the cgroup's path (and from it the unit, container and pod), all without
///   privileges; `/proc` gives the process holding the socket where the gateway may read it (root or
///   CAP_SYS_PTRACE). Costs about 0.1 ms for sock_diag, a dictionary lookup for a known cgroup, plus
///   the `/proc` scan (see ``ProcessLookup``), and never spawns a process.
/// - Forwarded callers (a container behind a bridge): there is no local socket, so the source
///   address, the interface it came in on, and the container the runtime's state gives that address
///   (``BridgeContainers``) are what is known.
///
/// Invariant: attribution never fails the connection. Whatever cannot be found is left nil (and
/// logged at debug level); the gateway decides with what it has.
public final class CallerAttribution: Sendable {
    public let diagnostics: SocketDiagnostics
    public let processes: ProcessLookup
    public let cgroups: CgroupPaths
    public let bridges: BridgeContainers
    private let logger: Logger

    public init(diagnostics: SocketDiagnostics, processes: ProcessLookup = ProcessLookup(), cgroups: CgroupPaths = CgroupPaths(),
                bridges: BridgeContainers = BridgeContainers(), logger: Logger = Logger(label: "portcullis.intercept.attribution")) {
        self.diagnostics = diagnostics
        self.processes = processes
        self.cgroups = cgroups
        self.bridges = bridges
        self.logger = logger
    }

    /// With a new sock_diag socket in the calling thread's network namespace, and the cgroup v2
    /// hierarchy of this process's mount namespace.
    public convenience init(processes: ProcessLookup = ProcessLookup(), cgroups: CgroupPaths = CgroupPaths(),
                            bridges: BridgeContainers = BridgeContainers(),
                            logger: Logger = Logger(label: "portcullis.intercept.attribution")) throws(SocketDiagnosticsError) {
        self.init(diagnostics: try SocketDiagnostics(), processes: processes, cgroups: cgroups, bridges: bridges, logger: logger)
    }

    /// The local caller behind `flow`, which is the *client's* view: for a redirected connection,
    /// (client address:port → original destination); for a packet, (source → destination).
    /// `sourceAddress` is always `flow.source`; `uid` and `process` are nil when not found.
    public func local(flow: Flow) -> Caller {
        var caller = Caller(sourceAddress: flow.source)
        let owner: SocketOwner?
        do {
            owner = try diagnostics.socket(of: flow)
        } catch {
            logger.debug("caller attribution failed", metadata: ["flow": "\(flow)", "error": "\(error)"])
            return caller
        }
        guard let owner else {
            logger.debug("no local socket for the flow", metadata: ["flow": "\(flow)"])
            return caller
        }
        caller.uid = owner.uid
        if let id = owner.cgroupID { caller.cgroup = CallerCgroup(id: id, path: cgroups.path(of: id)) }
        caller.process = processes.process(owningSocketInode: owner.inode, uid: owner.uid)
        caller.container = caller.cgroup?.container ?? caller.process?.cgroup.flatMap(CgroupPathNames.container(in:))
            ?? caller.process?.containerID.map { CallerContainer(runtime: "unknown", id: $0) }
        return caller
    }

    /// A caller whose traffic was forwarded from a bridge: its source address, the interface it
    /// arrived on, and the container the runtime's state gives that address, if any.
    public func forwarded(source: IPAddress, interface: String?) -> Caller {
        Caller(sourceAddress: source, interface: interface, container: bridges.container(at: source))
    }

    /// The name of the interface that holds `address` in the calling thread's network namespace, or
    /// nil. For a connection accepted on a bridge's address this names the bridge. An IPv4-mapped
    /// address is looked up as IPv4.
    public static func interface(owning address: IPAddress) -> String? {
        let wanted = address.unmappedIPv4 ?? address
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let socketAddress = entry.pointee.ifa_addr, let name = entry.pointee.ifa_name else { continue }
            let found: IPAddress?
            switch Int32(socketAddress.pointee.sa_family) {
            case AF_INET:
                found = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketEndpoint($0.pointee).address }
            case AF_INET6:
                found = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketEndpoint($0.pointee).address }
            default:
                found = nil
            }
            if found == wanted { return String(cString: name) }
        }
        return nil
    }
}
