import Kube
import Synchronization

/// The policy in force and the grants, shared by every connection: decides each request, checking
/// the grants before the rules. Replacing the policy affects requests decided afterwards only; a
/// watch or exec already admitted keeps running.
public final class AccessPolicy: Sendable {
    public let grants: GrantBook
    private let state: Mutex<(policy: Policy, status: PolicyStatus)>

    public init(policy: Policy, status: PolicyStatus, grants: GrantBook = GrantBook()) {
        self.grants = grants
        self.state = Mutex((policy, status))
    }

    /// A policy that comes from no file (tests, and embedding).
    public convenience init(_ policy: Policy, grants: GrantBook = GrantBook()) {
        self.init(policy: policy, status: PolicyStatus(source: "(built in)", generation: 1, loadedAt: KubeTime(microseconds: 0), digest: "",
                                                       ruleCount: policy.rules.count, defaultEffect: policy.defaultEffect),
                  grants: grants)
    }

    public var policy: Policy { state.withLock { $0.policy } }
    public var status: PolicyStatus { state.withLock { $0.status } }

    public func decide(_ request: AccessRequest, at time: KubeTime) -> PolicyDecision {
        if let grant = grants.match(request, at: time) {
            return PolicyDecision(effect: .allow, source: .grant(grant.id), reason: grant.reason)
        }
        return state.withLock { $0.policy }.decide(request)
    }

    /// Puts a newly loaded policy in force.
    public func replace(_ policy: Policy, digest: String, at time: KubeTime) {
        state.withLock { state in
            state.policy = policy
            state.status.generation += 1
            state.status.loadedAt = time
            state.status.digest = digest
            state.status.ruleCount = policy.rules.count
            state.status.defaultEffect = policy.defaultEffect
            state.status.lastError = nil
            state.status.lastErrorAt = nil
        }
    }

    /// Notes a refused reload; the policy in force stays.
    public func refuseReload(_ error: String, at time: KubeTime) {
        state.withLock { state in
            state.status.lastError = error
            state.status.lastErrorAt = time
        }
    }
}
