import Kube
import Proxy

/// A grant as recorded, with its revocation if it was ended early.
public struct RecordedGrant: Sendable, Hashable {
    public var grant: Grant
    /// Microseconds since the epoch.
    public var revokedAt: Int64?
    public var revokedBy: Principal?
    public var revokeReason: String?

    public init(grant: Grant, revokedAt: Int64? = nil, revokedBy: Principal? = nil, revokeReason: String? = nil) {
        self.grant = grant
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
        self.revokeReason = revokeReason
    }

    /// `active`, `expired` or `revoked` at `time`.
    public func state(at time: KubeTime) -> String {
        if revokedAt != nil { return "revoked" }
        return grant.isActive(at: time) ? "active" : "expired"
    }

    public func isActive(at time: KubeTime) -> Bool { state(at: time) == "active" }
}
