import Foundation

/// Which iptables implementation holds the rules (nft or legacy), its tools, and which families
/// must be covered.
///
/// Invariant: IPv6 is covered whenever the host has it enabled; a host with IPv6 enabled but no
/// usable ip6tables is an error, never a warning, because API servers' IPv6 addresses would be
/// open.
public struct NetfilterBackend: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case nft, legacy }

    public var kind: Kind
    public var families: [AddressFamily]
    public var toolDirectory: String

    public func save(_ family: AddressFamily) -> String { tool(family, "save") }
    public func restore(_ family: AddressFamily) -> String { tool(family, "restore") }
    public func iptables(_ family: AddressFamily) -> String { tool(family, nil) }

    private func tool(_ family: AddressFamily, _ suffix: String?) -> String {
        let base = family == .v4 ? "iptables" : "ip6tables"
        return "\(toolDirectory)/\(base)-\(kind.rawValue)" + (suffix.map { "-\($0)" } ?? "")
    }

    static let searchDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// Whether IPv6 is enabled in this network namespace.
    public static func ipv6Enabled() -> Bool {
        guard FileManager.default.fileExists(atPath: "/proc/net/if_inet6"),
              let flag = try? String(contentsOfFile: "/proc/sys/net/ipv6/conf/all/disable_ipv6", encoding: .utf8) else {
            return false
        }
        return flag.trimmingCharacters(in: .whitespacesAndNewlines) == "0"
    }

    /// Chooses the backend as `choice` says: for `auto`, the one that already holds more rules
    /// (nft on a tie or a bare host), as Istio and Kubernetes' iptables-wrapper do.
    public static func detect(choice: BackendChoice, runner: some CommandRunner = ProcessCommandRunner(),
                              ipv6Enabled: Bool = NetfilterBackend.ipv6Enabled()) throws(InterceptError) -> NetfilterBackend {
        guard let directory = searchDirectories.first(where: {
            FileManager.default.isExecutableFile(atPath: "\($0)/iptables-nft-save")
                || FileManager.default.isExecutableFile(atPath: "\($0)/iptables-legacy-save")
        }) else {
            throw InterceptError("no iptables tools found (looked for iptables-nft-save and iptables-legacy-save in \(searchDirectories.joined(separator: ", "))): install Debian's iptables package")
        }
        let families: [AddressFamily] = ipv6Enabled ? [.v4, .v6] : [.v4]
        let kind: Kind
        switch choice {
        case .nft: kind = .nft
        case .legacy: kind = .legacy
        case .auto:
            let nft = ruleCount(NetfilterBackend(kind: .nft, families: families, toolDirectory: directory), runner)
            let legacy = ruleCount(NetfilterBackend(kind: .legacy, families: families, toolDirectory: directory), runner)
            switch (nft, legacy) {
            case (nil, .some): kind = .legacy
            case (.some(let n), .some(let l)) where l > n: kind = .legacy
            default: kind = .nft
            }
        }
        let backend = NetfilterBackend(kind: kind, families: families, toolDirectory: directory)
        try backend.checkUsable(runner)
        return backend
    }

    /// Tables plus rules the backend holds in both families; nil when its tools do not work.
    private static func ruleCount(_ backend: NetfilterBackend, _ runner: some CommandRunner) -> Int? {
        var count = 0
        for family in [AddressFamily.v4, .v6] {
            guard FileManager.default.isExecutableFile(atPath: backend.save(family)),
                  let output = try? runner.run(backend.save(family), [], input: nil), output.status == 0 else {
                if family == .v4 { return nil }
                continue
            }
            count += output.standardOutput.split(separator: "\n").filter { $0.hasPrefix("-A ") || $0.hasPrefix("*") }.count
        }
        return count
    }

    /// Throws, naming the tool and the family, unless save and restore work for every family.
    func checkUsable(_ runner: some CommandRunner) throws(InterceptError) {
        for family in families {
            for tool in [save(family), restore(family), iptables(family)] where !FileManager.default.isExecutableFile(atPath: tool) {
                throw InterceptError(missingToolMessage(tool, family))
            }
            do {
                try runner.check(save(family), [])
            } catch {
                throw InterceptError(family == .v6
                    ? "IPv6 is enabled on this host but ip6tables (\(kind.rawValue)) does not work: \(error). Fix ip6tables, or disable IPv6 (net.ipv6.conf.all.disable_ipv6=1): otherwise API servers' IPv6 addresses would be left open"
                    : "iptables (\(kind.rawValue)) does not work: \(error)")
            }
        }
    }

    private func missingToolMessage(_ tool: String, _ family: AddressFamily) -> String {
        if family == .v6 {
            return "IPv6 is enabled on this host but \(tool) is missing: install ip6tables (Debian's iptables package), or disable IPv6; otherwise API servers' IPv6 addresses would be left open"
        }
        return "\(tool) is missing: install Debian's iptables package"
    }
}
