/// One way the installed rules differ from what the configuration renders.
public enum Drift: Sendable, Hashable, CustomStringConvertible {
    case chainMissing(family: AddressFamily, table: String, chain: String)
    case chainChanged(family: AddressFamily, table: String, chain: String, missing: [String], unexpected: [String], reordered: Bool)
    case jumpMissing(family: AddressFamily, table: String, builtin: String, chain: String)
    case jumpDuplicated(family: AddressFamily, table: String, builtin: String, chain: String, count: Int)
    case jumpNotFirst(family: AddressFamily, table: String, builtin: String, chain: String, position: Int)
    case guardrailLeft(family: AddressFamily, builtin: String)
    case setMissing(name: String)
    case setMemberMissing(name: String, member: String)
    case setMemberUnexpected(name: String, member: String)
    case queueWithoutListener(queue: UInt16)

    public var description: String {
        switch self {
        case .chainMissing(let f, let t, let c):
            return "\(f.label) \(t): chain \(c) is missing"
        case .chainChanged(let f, let t, let c, let missing, let unexpected, let reordered):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing rule(s): " + missing.map { "`\($0)`" }.joined(separator: "; ")) }
            if !unexpected.isEmpty { parts.append("unexpected rule(s): " + unexpected.map { "`\($0)`" }.joined(separator: "; ")) }
            if reordered { parts.append("rules are out of order") }
            return "\(f.label) \(t): chain \(c) changed: " + parts.joined(separator: "; ")
        case .jumpMissing(let f, let t, let b, let c):
            return "\(f.label) \(t) \(b): the jump to \(c) is missing"
        case .jumpDuplicated(let f, let t, let b, let c, let n):
            return "\(f.label) \(t) \(b): the jump to \(c) appears \(n) times"
        case .jumpNotFirst(let f, let t, let b, let c, let p):
            return "\(f.label) \(t) \(b): the jump to \(c) is rule \(p), not rule 1"
        case .guardrailLeft(let f, let b):
            return "\(f.label) filter \(b): a reconcile guardrail was left in place"
        case .setMissing(let name):
            return "ipset \(name) is missing"
        case .setMemberMissing(let name, let member):
            return "ipset \(name) lacks \(member)"
        case .setMemberUnexpected(let name, let member):
            return "ipset \(name) holds \(member), which is not configured"
        case .queueWithoutListener(let queue):
            return "netfilter queue \(queue) has no listener: the guard is not running, so bypass attempts are dropped but not recorded"
        }
    }
}

extension AddressFamily {
    var label: String { self == .v4 ? "IPv4" : "IPv6" }
}
