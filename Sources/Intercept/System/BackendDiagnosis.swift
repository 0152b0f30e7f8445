import Foundation

/// What `portcullis doctor` asks of the host's iptables: which backends hold rules, and whether
/// IPv6 is enabled while ip6tables does not work.
public enum BackendDiagnosis {
    /// Rules (`-A` lines) each backend holds, IPv4 and IPv6 together; nil when its tools are
    /// missing or fail.
    public static func ruleCounts(runner: some CommandRunner = ProcessCommandRunner()) -> [NetfilterBackend.Kind: Int?] {
        guard let directory = NetfilterBackend.searchDirectories.first(where: {
            FileManager.default.isExecutableFile(atPath: "\($0)/iptables-nft-save")
                || FileManager.default.isExecutableFile(atPath: "\($0)/iptables-legacy-save")
        }) else { return [.nft: nil, .legacy: nil] }
        var counts: [NetfilterBackend.Kind: Int?] = [:]
        for kind in [NetfilterBackend.Kind.nft, .legacy] {
            let backend = NetfilterBackend(kind: kind, families: [.v4, .v6], toolDirectory: directory)
            var count: Int? = 0
            for family in [AddressFamily.v4, .v6] {
                guard FileManager.default.isExecutableFile(atPath: backend.save(family)),
                      let output = try? runner.run(backend.save(family), [], input: nil), output.status == 0 else {
                    if family == .v4 { count = nil }
                    continue
                }
                count = count.map { $0 + output.standardOutput.split(separator: "\n").filter { $0.hasPrefix("-A ") }.count }
            }
            counts[kind] = count
        }
        return counts
    }

    /// Why IPv6 traffic could escape: IPv6 is enabled but ip6tables of `choice` does not work; nil
    /// when IPv6 is off or ip6tables works.
    public static func ipv6Problem(choice: BackendChoice, runner: some CommandRunner = ProcessCommandRunner(),
                                   ipv6Enabled: Bool = NetfilterBackend.ipv6Enabled()) -> String? {
        guard ipv6Enabled else { return nil }
        do {
            let backend = try NetfilterBackend.detect(choice: choice, runner: runner, ipv6Enabled: true)
            try runner.check(backend.save(.v6), [])
            return nil
        } catch {
            return "\(error)"
        }
    }
}
