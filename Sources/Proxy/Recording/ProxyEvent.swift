import Intercept
import Kube
import NIOCore

/// Identifies one accepted connection for the life of the gateway process.
public struct ConnectionID: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public var description: String { "c\(value)" }
}

/// Identifies one request within the gateway process.
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public var description: String { "r\(value)" }
}

/// A connection the gateway accepted and admitted.
public struct ConnectionOpened: Sendable, Hashable {
    public var id: ConnectionID
    public var time: KubeTime
    public var peer: String
    public var originalDestination: String
    public var cluster: String
    public var caller: Caller
    /// On a relay: the gateway the connection comes from, by its certificate's name.
    public var gateway: String? = nil
}

/// A request, recorded before it is forwarded (or refused).
public struct RequestRecord: Sendable, Hashable {
    public var id: RequestID
    public var connection: ConnectionID
    public var time: KubeTime
    public var method: String
    public var uri: String
    public var info: RequestInfo
    public var intent: String
    public var auditID: String
    public var userAgent: String
    /// The verified identity; nil when the request was refused before or during authentication.
    public var identity: VerifiedIdentity?
    /// Request headers with secrets (Authorization, the token header, cookies) redacted.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var bodyTruncated: Bool
    /// What policy decided; nil when the request was refused before a decision (no identity).
    /// A `review` decision is final only with the request's ``ProxyEvent/reviewDecided(_:time:verdict:)``.
    public var decision: PolicyDecision? = nil
    /// The token's fingerprint (``TokenFingerprint``), when the request carried one: never the token.
    public var tokenFingerprint: String? = nil
    /// On a relay: the agent's source as the gateway reported it (``ReportedSource``), a JSON
    /// object kept as sent. Nothing was decided by it.
    public var reportedSource: String? = nil

    public static func == (a: RequestRecord, b: RequestRecord) -> Bool { a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// Which way stream bytes went.
public enum StreamDirection: String, Sendable, Hashable {
    case clientToUpstream = "client_to_upstream"
    case upstreamToClient = "upstream_to_client"
}

/// Everything the proxy hands to the recorder.
public enum ProxyEvent: Sendable {
    case connectionOpened(ConnectionOpened)
    case connectionRefused(RefusedConnection)
    case connectionClosed(ConnectionID, time: KubeTime)
    /// The connection ended for a reason worth keeping: its TLS handshake failed, or the client left
    /// before it completed. A later ``connectionClosed(_:time:)`` of the same connection adds nothing.
    case connectionEnded(ConnectionID, time: KubeTime, reason: String)
    /// Must be durable before the request is forwarded.
    case requestReceived(RequestRecord)
    /// The gateway answered the request itself (401, 403, 502, 503) and did not forward it.
    case requestRejected(RequestID, time: KubeTime, status: Status, reason: String)
    case responseStarted(RequestID, time: KubeTime, status: Int, headers: [(name: String, value: String)])
    case responseBody(RequestID, bytes: [UInt8])
    case responseCompleted(RequestID, time: KubeTime, bytes: Int)
    /// After a 101, the raw bytes of the upgraded connection (WebSocket or SPDY frames).
    case streamData(RequestID, time: KubeTime, direction: StreamDirection, bytes: [UInt8])
    /// How a request held for review ended. An approval must be durable before it is forwarded.
    case reviewDecided(RequestID, time: KubeTime, verdict: ReviewVerdict)
    /// A grant was made; must be durable before it is in force.
    case grantIssued(Grant)
    /// A grant was ended early by `by`; must be durable before the caller is told.
    case grantRevoked(id: String, time: KubeTime, by: Principal, reason: String?)
}

/// Where the proxy's events go. The Store implements it (durably, with group commit); until then
/// the in-memory and JSON-lines recorders do.
///
/// `record` is called on an event loop and must not block it. The returned future completes once
/// the event is recorded. The proxy waits for it for ``ProxyEvent/requestReceived(_:)`` (no
/// record, no access) and for ``ProxyEvent/responseCompleted(_:time:bytes:)`` of an ordinary
/// response it holds (no record, no delivery), and answers 503 when it fails. Stream events are
/// not waited for.
public protocol ProxyRecorder: Sendable {
    func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void>
}
