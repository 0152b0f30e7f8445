import Kube

/// A packet to an API server address that took no approved path: dropped by the guard.
public struct BypassAttempt: Sendable, Hashable {
    public var time: KubeTime
    public var flow: Flow
    /// The socket owner's uid and gid (NFQA_UID/NFQA_GID); nil for forwarded packets and packets
    /// without a full socket.
    public var caller: Caller
    public var inInterface: String?
    public var outInterface: String?
    /// What else is known, e.g. that the connection was open before the rules and was ended.
    public var note: String?

    public init(time: KubeTime, flow: Flow, caller: Caller, inInterface: String? = nil, outInterface: String? = nil,
                note: String? = nil) {
        self.time = time
        self.flow = flow
        self.caller = caller
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.note = note
    }
}

/// A connection that reached the gateway's port but was not admitted.
public struct RefusedConnection: Sendable, Hashable {
    public var time: KubeTime
    public var peer: IPAddress
    public var peerPort: UInt16
    /// The destination the client dialled, when the kernel knows one.
    public var originalDestination: IPAddress?
    public var originalPort: UInt16?
    public var caller: Caller
    public var reason: String
    /// The name the client's certificate gives, when it gave one (a gateway refused by a relay).
    public var peerName: String?

    public init(time: KubeTime, peer: IPAddress, peerPort: UInt16, originalDestination: IPAddress?, originalPort: UInt16?,
                caller: Caller, reason: String, peerName: String? = nil) {
        self.time = time
        self.peer = peer
        self.peerPort = peerPort
        self.originalDestination = originalDestination
        self.originalPort = originalPort
        self.caller = caller
        self.reason = reason
        self.peerName = peerName
    }
}

/// The rules were found changed, and what was done about it.
public struct TamperEvent: Sendable, Hashable {
    public var time: KubeTime
    /// Each difference, in words: "mangle POSTROUTING: the jump to PORTCULLIS_POSTROUTING is missing".
    public var drift: [String]
    public var restored: Bool
    /// Why restoring failed, when it did.
    public var error: String?

    public init(time: KubeTime, drift: [String], restored: Bool, error: String? = nil) {
        self.time = time
        self.drift = drift
        self.restored = restored
        self.error = error
    }
}

/// What Intercept hands to the recorder.
public enum InterceptEvent: Sendable, Hashable {
    case bypassAttempt(BypassAttempt)
    case refusedConnection(RefusedConnection)
    case tamper(TamperEvent)
}

/// Where Intercept's events go. The Store implements it; until then ``InMemoryInterceptRecorder``.
/// `record` must not block: it is called from the guard's queue thread and from event loops.
public protocol InterceptRecorder: Sendable {
    func record(_ event: InterceptEvent)
}
