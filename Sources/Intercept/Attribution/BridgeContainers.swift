import Glibc
import Kube
import Synchronization

/// Which container holds an address on a bridge, from the host's container runtime state: a
/// forwarded caller has no local socket, so its address is all the gateway sees.
///
/// Two records are read, whichever exist and are readable:
/// - CNI's host-local IPAM (containerd's CRI, nerdctl, Podman with CNI, Kubernetes nodes):
///   `<cniNetworks>/<network>/<address>`, a file whose first line is the container (sandbox) id;
/// - Docker: `<dockerContainers>/<id>/config.v2.json`, whose `NetworkSettings.Networks.*` give
///   `IPAddress` and `GlobalIPv6Address`. `/var/lib/docker` is root's: an unprivileged gateway
///   does not see it, which is not an error.
///
/// Invariants:
/// - A missing runtime, an unreadable directory or a malformed file only means no answer.
/// - Lookups read a map built by the last scan; an address not in it rescans at most once per
///   ``rescanInterval`` (containers come and go; their addresses are reused), so a flood of
///   unknown addresses costs one scan per interval. An address a scan did not find is not asked
///   again for ``missRetention`` (a bridge peer that is no container costs one scan, not one a
///   second); the remembered misses are bounded.
public final class BridgeContainers: Sendable {
    public let cniNetworks: String
    public let dockerContainers: String
    public let rescanInterval: Duration
    public let missRetention: Duration
    static let missLimit = 4096

    private struct State {
        var map: [IPAddress: CallerContainer] = [:]
        var scannedAt: ContinuousClock.Instant?
        var misses: [IPAddress: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())

    public init(cniNetworks: String = "/var/lib/cni/networks", dockerContainers: String = "/var/lib/docker/containers",
                rescanInterval: Duration = .seconds(1), missRetention: Duration = .seconds(10)) {
        self.cniNetworks = cniNetworks
        self.dockerContainers = dockerContainers
        self.rescanInterval = rescanInterval
        self.missRetention = missRetention
    }

    /// The container holding `address`, or nil.
    public func container(at address: IPAddress) -> CallerContainer? {
        let address = address.unmappedIPv4 ?? address
        let now = ContinuousClock.now
        let shouldScan = state.withLock { state -> Bool? in
            if state.map[address] != nil { return nil }
            if let missed = state.misses[address], now - missed < missRetention { return false }
            if let last = state.scannedAt, now - last < rescanInterval { return false }
            state.scannedAt = now
            return true
        }
        switch shouldScan {
        case nil, false?: return state.withLock { $0.map[address] }
        case true?: break
        }
        let map = scan()
        return state.withLock { state in
            state.map = map
            if map[address] == nil {
                if state.misses.count >= Self.missLimit { state.misses.removeAll() }
                state.misses[address] = now
            } else {
                state.misses[address] = nil
            }
            return map[address]
        }
    }

    /// Both records, Docker's winning where both name an address.
    func scan() -> [IPAddress: CallerContainer] {
        var map = Self.cniAddresses(cniNetworks)
        for (address, container) in Self.dockerAddresses(dockerContainers) { map[address] = container }
        return map
    }

    static func cniAddresses(_ root: String) -> [IPAddress: CallerContainer] {
        var map: [IPAddress: CallerContainer] = [:]
        for network in entries(root) {
            for name in entries(root + "/" + network) {
                guard let address = IPAddress(name),
                      let bytes = ProcFiles.read(root + "/" + network + "/" + name, limit: 4096) else { continue }
                let id = String(decoding: bytes.prefix { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self)
                guard ContainerID.find(inCgroup: id) == id else { continue }
                map[address.unmappedIPv4 ?? address] = CallerContainer(runtime: "cni", id: id)
            }
        }
        return map
    }

    static func dockerAddresses(_ root: String) -> [IPAddress: CallerContainer] {
        var map: [IPAddress: CallerContainer] = [:]
        for id in entries(root) where ContainerID.find(inCgroup: id) == id {
            guard let bytes = ProcFiles.read(root + "/" + id + "/config.v2.json", limit: 4 << 20),
                  let config = try? JSONParser.parse(bytes),
                  let running = config[path: "State", "Running"]?.boolValue, running,
                  let networks = config[path: "NetworkSettings", "Networks"]?.objectValue else { continue }
            for network in networks.values {
                for key in ["IPAddress", "GlobalIPv6Address"] {
                    guard let text = network[key]?.stringValue, let address = IPAddress(text) else { continue }
                    map[address.unmappedIPv4 ?? address] = CallerContainer(runtime: "docker", id: id)
                }
            }
        }
        return map
    }

    private static func entries(_ directory: String) -> [String] {
        var names: [String] = []
        ProcFiles.forEachEntry(in: directory) { name in
            names.append(String(decoding: name, as: UTF8.self))
            return true
        }
        return names
    }
}
