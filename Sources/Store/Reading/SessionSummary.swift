/// One line of `portcullis sessions`: a connection with its requests, a refused connection, or a
/// guard (bypass) event.
public struct SessionSummary: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// An accepted connection and its requests.
        case connection
        /// A connection the gateway refused before any request.
        case refused
        /// A packet to an API server that bypassed the gateway and was dropped.
        case bypass
    }

    public var kind: Kind
    public var reference: RecordReference
    /// Opened at, or when the packet was dropped.
    public var time: Int64
    /// Commit order, to break ties in time.
    public var seq: Int64
    public var endedAt: Int64?
    public var caller: CallerRecord
    /// Distinct usernames of the session's requests, in order of first appearance.
    public var usernames: [String]
    public var cluster: String?
    /// The original destination of a connection, or the destination of a dropped packet.
    public var destination: String?
    public var peer: String?
    public var requestCount: Int
    public var outcomes: [RequestOutcome: Int]
    public var firstIntent: String?
    /// Why a connection was refused, why an accepted one ended early (its TLS handshake failed), or
    /// the guard's note.
    public var reason: String?
    /// For bypass events: `tcp 10.0.0.5:51000 -> 10.0.0.10:6443 dropped`.
    public var detail: String?
    /// The gateway host it was recorded on, when read from the central store.
    public var host: String?

    public init(kind: Kind, reference: RecordReference, time: Int64, seq: Int64, endedAt: Int64? = nil, caller: CallerRecord,
                usernames: [String] = [], cluster: String? = nil, destination: String? = nil, peer: String? = nil,
                requestCount: Int = 0, outcomes: [RequestOutcome: Int] = [:], firstIntent: String? = nil, reason: String? = nil,
                detail: String? = nil) {
        self.kind = kind
        self.reference = reference
        self.time = time
        self.seq = seq
        self.endedAt = endedAt
        self.caller = caller
        self.usernames = usernames
        self.cluster = cluster
        self.destination = destination
        self.peer = peer
        self.requestCount = requestCount
        self.outcomes = outcomes
        self.firstIntent = firstIntent
        self.reason = reason
        self.detail = detail
    }

    /// `allowed`, `allowed,rejected`, `refused`, `bypass`, or `no requests`.
    public var outcomeText: String {
        switch kind {
        case .refused: return "refused"
        case .bypass: return "bypass"
        case .connection:
            let present = RequestOutcome.allCases.filter { (outcomes[$0] ?? 0) > 0 }
            return present.isEmpty ? "no requests" : present.map(\.rawValue).joined(separator: ",")
        }
    }
}
