/// How a request held for review ended (a row of `reviews`).
public struct RecordedReview: Sendable, Hashable {
    /// Microseconds since the epoch.
    public var at: Int64
    /// `approved`, `denied`, `timed_out` or `withdrawn`.
    public var outcome: String
    /// `allow` or `deny`; nil when the client withdrew.
    public var decision: String?
    public var reviewerUID: Int64?
    /// The central database role that decided, for a decision made through the central store.
    public var reviewerRole: String?
    public var reason: String?

    public init(at: Int64, outcome: String, decision: String?, reviewerUID: Int64?, reviewerRole: String? = nil, reason: String?) {
        self.at = at
        self.outcome = outcome
        self.decision = decision
        self.reviewerUID = reviewerUID
        self.reviewerRole = reviewerRole
        self.reason = reason
    }

    /// "approved by uid 0", "denied by uid 1001: not now", "approved by central role alice",
    /// "timed out", "withdrawn by the client".
    public var text: String {
        var text: String
        switch outcome {
        case "timed_out": text = "timed out"
        case "withdrawn": text = "withdrawn by the client"
        default: text = outcome + (reviewerRole.map { " by central role \($0)" } ?? reviewerUID.map { " by uid \($0)" } ?? "")
        }
        if let reason { text += ": \(reason)" }
        return text
    }
}
