import Kube
import Synchronization

/// The grants in force, shared by every connection. Expired grants stop matching at once and
/// are dropped on the next change.
public final class GrantBook: Sendable {
    private let grants: Mutex<[Grant]>

    public init(_ grants: [Grant] = []) {
        self.grants = Mutex(grants)
    }

    /// The first active grant that matches.
    public func match(_ request: AccessRequest, at time: KubeTime) -> Grant? {
        grants.withLock { grants in grants.first { $0.isActive(at: time) && $0.rule.matches(request) } }
    }

    public func add(_ grant: Grant, at time: KubeTime) {
        grants.withLock { grants in
            grants.removeAll { !$0.isActive(at: time) }
            grants.append(grant)
        }
    }

    /// Ends a grant; false when no active grant has that id.
    @discardableResult
    public func revoke(_ id: String, at time: KubeTime) -> Bool {
        grants.withLock { grants in
            grants.removeAll { !$0.isActive(at: time) }
            guard let index = grants.firstIndex(where: { $0.id == id }) else { return false }
            grants.remove(at: index)
            return true
        }
    }

    public func active(at time: KubeTime) -> [Grant] {
        grants.withLock { $0.filter { $0.isActive(at: time) } }
    }
}
