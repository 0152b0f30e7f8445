import Kube
import Synchronization

/// The grants in force, shared by every connection. Each grant's allow rule is built once, when it
/// is added, not per request. Expired grants stop matching at once and are dropped on the next change.
public final class GrantBook: Sendable {
    private struct Entry: Sendable {
        var grant: Grant
        var rule: PolicyRule
    }

    private let entries: Mutex<[Entry]>

    public init(_ grants: [Grant] = []) {
        self.entries = Mutex(grants.map { Entry(grant: $0, rule: $0.rule) })
    }

    /// The first active grant that matches.
    public func match(_ request: AccessRequest, at time: KubeTime) -> Grant? {
        entries.withLock { entries in entries.first { $0.grant.isActive(at: time) && $0.rule.matches(request) }?.grant }
    }

    public func add(_ grant: Grant, at time: KubeTime) {
        entries.withLock { entries in
            entries.removeAll { !$0.grant.isActive(at: time) }
            entries.append(Entry(grant: grant, rule: grant.rule))
        }
    }

    /// Ends a grant; false when no active grant has that id.
    @discardableResult
    public func revoke(_ id: String, at time: KubeTime) -> Bool {
        entries.withLock { entries in
            entries.removeAll { !$0.grant.isActive(at: time) }
            guard let index = entries.firstIndex(where: { $0.grant.id == id }) else { return false }
            entries.remove(at: index)
            return true
        }
    }

    public func active(at time: KubeTime) -> [Grant] {
        entries.withLock { $0.filter { $0.grant.isActive(at: time) }.map(\.grant) }
    }
}
