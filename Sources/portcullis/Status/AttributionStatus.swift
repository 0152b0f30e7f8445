import Foundation
import Intercept
import Kube

/// The `callers` section of `GET /v1/status`: what the gateway can tell about who connects. The
/// cgroup (unit, container, pod) needs only the cgroup v2 hierarchy in the gateway's mount
/// namespace; the process needs root or CAP_SYS_PTRACE (docs/operate.md).
enum AttributionStatus {
    static func section(_ attribution: CallerAttribution?) -> JSONValue {
        guard let attribution else { return ["sockDiag": false] }
        return [
            "sockDiag": true,
            "cgroupHierarchy": attribution.cgroups.hierarchy.map { .string($0.mountPoint) } ?? .null,
            "cgroupWalks": .int(Int64(attribution.cgroups.walkCount)),
            "processes": .bool(mayReadOtherProcesses()),
        ]
    }

    /// Root, or CAP_SYS_PTRACE in the effective set (bit 19 of `CapEff` in /proc/self/status).
    static func mayReadOtherProcesses() -> Bool {
        if geteuid() == 0 { return true }
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << 19) != 0
    }

    /// `callers:  uid and cgroup from /sys/fs/cgroup/unified; processes not readable (no CAP_SYS_PTRACE)`.
    static func line(_ c: JSONValue) -> String {
        guard c["sockDiag"]?.boolValue == true else { return "callers:  UNKNOWN: sock_diag is unavailable, connections are recorded without their uid" }
        var text = "callers:  uid and "
        if let hierarchy = c["cgroupHierarchy"]?.stringValue {
            text += "cgroup (unit, container, pod) from \(hierarchy)"
        } else {
            text += "cgroup id only: no cgroup v2 hierarchy in the gateway's mount namespace"
        }
        text += c["processes"]?.boolValue == true ? "; processes readable" : "; processes not readable (no CAP_SYS_PTRACE)"
        return text
    }
}
