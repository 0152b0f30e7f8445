/// One decision as `portcullis tail` prints it: a request's (when its outcome is known), a
/// reviewer's, a refused connection's, or the guard's drop of a bypass attempt.
public struct TailEntry: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// A request: answered, refused, or (long-running or held for review) just started.
        case request
        /// A reviewer's (or the timeout's) decision on a held request.
        case review
        /// A connection the gateway refused.
        case refused
        /// A packet the guard dropped.
        case bypass
    }

    /// Commit order.
    public var seq: Int64
    /// When the decided thing happened (the request's receipt, the review, the connection, the drop).
    public var time: Int64
    public var kind: Kind
    public var reference: RecordReference
    public var runID: Int64?
    public var caller: CallerRecord
    public var username: String?
    /// The request's intent, the refused connection's destination, or the dropped packet.
    public var intent: String
    /// `allow`, `deny`, `review`, `approved`/`denied`/`timed_out`/`withdrawn`, `refused`, `dropped`.
    public var decision: String
    public var outcome: String?
    public var status: Int?
    public var reason: String?

    public init(seq: Int64, time: Int64, kind: Kind, reference: RecordReference, runID: Int64? = nil, caller: CallerRecord = CallerRecord(),
                username: String? = nil, intent: String, decision: String, outcome: String? = nil, status: Int? = nil,
                reason: String? = nil) {
        self.seq = seq
        self.time = time
        self.kind = kind
        self.reference = reference
        self.runID = runID
        self.caller = caller
        self.username = username
        self.intent = intent
        self.decision = decision
        self.outcome = outcome
        self.status = status
        self.reason = reason
    }
}
