import Kube

/// A request waiting for a reviewer, as `portcullis pending` shows it.
public struct HeldRequest: Sendable, Hashable {
    /// The number reviewers approve or deny; unique within the gateway process.
    public var id: UInt64
    public var request: RequestID
    public var connection: ConnectionID
    public var username: String
    public var groups: [String]
    /// "delete namespace prod".
    public var intent: String
    /// The body's shape without its values (see ``BodySummary``).
    public var bodySummary: String
    /// The rule that asked for review, and its reason.
    public var rule: String
    public var reason: String?
    public var heldAt: KubeTime
    public var deadline: KubeTime
}
