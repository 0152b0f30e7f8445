import Foundation
import Intercept
import Yams

/// The checks of `portcullis doctor`, each naming the problem and its fix.
enum HostChecks {
    static func iptablesBackends(_ counts: [NetfilterBackend.Kind: Int?]) -> DoctorFinding {
        let nft = counts[.nft] ?? nil, legacy = counts[.legacy] ?? nil
        if let nft, let legacy, nft > 0, legacy > 0 {
            return .problem("iptables-backends", "both iptables backends hold rules (nft \(nft), legacy \(legacy)): rules in one do not see the other's, so the gateway's steering can be bypassed or undone",
                            fix: "move every rule to one backend (iptables-legacy-save | iptables-nft-restore, then flush legacy), or make sure nothing else writes the other; set gateway.iptablesBackend to the one you keep")
        }
        let holding = [(NetfilterBackend.Kind.nft, nft), (.legacy, legacy)].filter { ($0.1 ?? 0) > 0 }.map(\.0.rawValue)
        return .ok("iptables-backends", holding.isEmpty ? "no rules in either backend yet" : "only \(holding.joined()) holds rules")
    }

    static func ipv6(_ problem: String?) -> DoctorFinding {
        guard let problem else { return .ok("ipv6", NetfilterBackend.ipv6Enabled() ? "IPv6 is enabled and ip6tables works" : "IPv6 is disabled") }
        return .problem("ipv6", problem,
                        fix: "make ip6tables work (Debian's iptables package, the ip6_tables/nf_tables modules), or disable IPv6 with net.ipv6.conf.all.disable_ipv6=1")
    }

    /// The CA key and the clusters' credentials must be readable by the gateway alone: by the
    /// agent users' access, when they are named; else by the mode (no one but the owner and the
    /// gateway's own group).
    static func credentialFiles(_ paths: [String], agents: AgentUsers) -> DoctorFinding {
        let gatewayGroup = getpwuid(agents.gatewayUID)?.pointee.pw_gid ?? agents.gatewayUID
        var exposed: [String] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if let uids = agents.uids {
                let readers = uids.filter { AgentUsers.mayRead(uid: $0, mode: info.st_mode, owner: info.st_uid, group: info.st_gid) }.sorted()
                if !readers.isEmpty { exposed.append("\(path) (readable by uid \(readers.map(String.init).joined(separator: ", ")))") }
            } else if info.st_mode & 0o004 != 0 || (info.st_mode & 0o040 != 0 && info.st_gid != gatewayGroup) {
                exposed.append("\(path) (mode \(String(info.st_mode & 0o777, radix: 8)))")
            }
        }
        guard exposed.isEmpty else {
            return .problem("credential-files", "credentials others can read: " + exposed.joined(separator: "; "),
                            fix: "chown the files to the gateway user and chmod 600 them (portcullis init does this for the CA key); then rotate what was exposed")
        }
        return .ok("credential-files", "the CA key and the clusters' credentials are readable by the gateway alone (\(paths.count) files)")
    }

    /// Processes of agent users holding CAP_NET_ADMIN or CAP_NET_RAW (effective or ambient): they
    /// could change the rules or send raw packets past them.
    static func agentCapabilities(_ agents: AgentUsers, proc: String = "/proc") -> DoctorFinding {
        let mask: UInt64 = (1 << 12) | (1 << 13)
        var holders: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: proc)) ?? [] where Int32(entry) != nil {
            guard let status = try? String(contentsOfFile: "\(proc)/\(entry)/status", encoding: .utf8) else { continue }
            var fields: [String: String] = [:]
            for line in status.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard let uid = fields["Uid"]?.split(whereSeparator: \.isWhitespace).first.flatMap({ UInt32($0) }), agents.isAgent(uid) else { continue }
            let caps = ["CapEff", "CapAmb"].compactMap { fields[$0].flatMap { UInt64($0, radix: 16) } }.reduce(0, |)
            if caps & mask != 0 { holders.append("pid \(entry) (\(fields["Name"] ?? "?"), uid \(uid))") }
        }
        guard holders.isEmpty else {
            return .problem("agent-capabilities", "agent processes hold CAP_NET_ADMIN or CAP_NET_RAW: " + holders.joined(separator: ", "),
                            fix: "run agents without those capabilities: remove them from the agent's systemd unit (AmbientCapabilities, CapabilityBoundingSet) or container (cap_drop), and setcap -r its binaries")
        }
        return .ok("agent-capabilities", "no agent process holds CAP_NET_ADMIN or CAP_NET_RAW")
    }

    /// Kubeconfigs whose users carry a static credential (a token, a client key, a password):
    /// whoever holds the file can use the cluster without an identity, from anywhere.
    static func kubeconfigs(_ paths: [String]) -> DoctorFinding {
        var found: [String] = []
        for path in paths {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), let node = try? Yams.compose(yaml: text),
                  let users = node["users"]?.sequence else { continue }
            for user in users {
                let name = user["name"]?.string ?? "?"
                guard let entry = user["user"] else { continue }
                let kinds = ["token", "tokenFile", "client-key-data", "client-key", "password"].filter { entry[$0] != nil }
                if !kinds.isEmpty { found.append("\(path): user \"\(name)\" embeds \(kinds.joined(separator: ", "))") }
            }
        }
        guard found.isEmpty else {
            return .problem("kubeconfigs", "static cluster credentials on this host: " + found.joined(separator: "; "),
                            fix: "replace those users with an exec credential plugin that supplies an OIDC token (README, \"Deploy on a runner host\"), and revoke the static credential at the cluster")
        }
        return .ok("kubeconfigs", "no kubeconfig among \(paths.count) embeds a static credential")
    }

    /// Where kubeconfigs usually are: root's and each home's ~/.kube/config, kubeadm's and k3s's.
    static func standardKubeconfigs() -> [String] {
        var paths = ["/root/.kube/config", "/etc/kubernetes/admin.conf", "/etc/rancher/k3s/k3s.yaml"]
        for home in (try? FileManager.default.contentsOfDirectory(atPath: "/home")) ?? [] { paths.append("/home/\(home)/.kube/config") }
        return paths.filter { FileManager.default.fileExists(atPath: $0) }
    }
}
