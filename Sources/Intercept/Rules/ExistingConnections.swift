import Foundation
import Kube

/// Ends connections to API servers that were opened before the rules, so no earlier flow escapes
/// the record, and records each local one it ended.
///
/// - An API server's own address (not loopback): every local socket to it is destroyed (`ss -K`),
///   and every conntrack entry to it deleted, so the next packet of a surviving or forwarded flow is
///   NEW and meets the guard.
/// - A loopback endpoint: only connections to its port, so other local services are untouched.
struct ExistingConnections {
    let renderer: RuleRenderer
    let families: [AddressFamily]
    let runner: any CommandRunner

    func end(recorder: (any InterceptRecorder)?) {
        for family in families {
            let loopbackEndpoints = renderer.endpoints.endpoints(family).filter { $0.address.isLoopback }
            for address in renderer.endpoints.addresses(family) where !address.isLoopback {
                destroySockets(filter: ["dst", Self.ssAddress(address)], recorder: recorder)
                deleteConntrack(family, ["-d", address.description])
            }
            for endpoint in loopbackEndpoints {
                destroySockets(filter: ["dst", Self.ssAddress(endpoint.address), "dport", "=", String(endpoint.port)], recorder: recorder)
                deleteConntrack(family, ["-d", endpoint.address.description, "-p", "tcp", "--dport", String(endpoint.port)])
            }
        }
    }

    static func ssAddress(_ address: IPAddress) -> String {
        address.isIPv4 ? address.description : "[\(address)]"
    }

    private func deleteConntrack(_ family: AddressFamily, _ filter: [String]) {
        _ = try? runner.run(SystemTools.conntrack, ["-D", "-f", family == .v4 ? "ipv4" : "ipv6"] + filter, input: nil)
    }

    private func destroySockets(filter: [String], recorder: (any InterceptRecorder)?) {
        for transport in ["-t", "-u"] {
            guard let output = try? runner.run(SystemTools.ss, ["-K", "-H", "-n", "-e", "-p", transport] + filter, input: nil) else {
                continue
            }
            for line in output.standardOutput.split(separator: "\n") {
                guard let attempt = Self.endedConnection(String(line), transport: transport == "-t" ? .tcp : .udp) else { continue }
                recorder?.record(.bypassAttempt(attempt))
            }
        }
    }

    /// Reads one `ss -H -n -e -p` line: `ESTAB 0 0 LOCAL PEER users:(("name",pid=N,fd=F)) uid:U ino:I …`.
    /// ss leaves out `uid:` for root's sockets.
    static func endedConnection(_ line: String, transport: TransportProtocol) -> BypassAttempt? {
        let tokens = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard tokens.count >= 5, let local = endpoint(tokens[3]), let peer = endpoint(tokens[4]) else { return nil }
        let uid = tokens.first { $0.hasPrefix("uid:") }.flatMap { UInt32($0.dropFirst(4)) } ?? 0
        var process: CallerProcess?
        if let users = tokens.first(where: { $0.hasPrefix("users:") }),
           let pidRange = users.firstRange(of: "pid="),
           let pid = Int32(users[pidRange.upperBound...].prefix { $0.isNumber }) {
            let name = users.split(separator: "\"").dropFirst().first.map(String.init)
            process = CallerProcess(pid: pid, commandLine: name.map { [$0] } ?? [])
        }
        let flow = Flow(transport: transport, source: local.0, sourcePort: local.1, destination: peer.0, destinationPort: peer.1)
        return BypassAttempt(time: TamperWatch.now(), flow: flow, caller: Caller(uid: uid, process: process, sourceAddress: local.0),
                             note: "connection opened before the rules were applied; ended")
    }

    /// `1.2.3.4:80`, `[fd00::1]:80` or `[::ffff:1.2.3.4]:80`.
    static func endpoint(_ text: String) -> (IPAddress, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let percent = host.firstIndex(of: "%") { host = String(host[..<percent]) }
        guard let address = IPAddress(host) else { return nil }
        return (address.unmappedIPv4 ?? address, port)
    }
}
