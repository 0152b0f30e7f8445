/// How much one client may take of the gateway. The defaults are kube-apiserver's own (its
/// `secure_serving.go` sets Go's `http.Server` `MaxHeaderBytes: 1 << 20`, `ReadHeaderTimeout: 32s`,
/// `IdleTimeout: 90s`) and, for the body rate, ASP.NET Kestrel's `MinRequestBodyDataRate`
/// (240 bytes/s after a 5 s grace period): kube-apiserver has no rate, only a 60 s request timeout.
public struct ClientLimits: Sendable, Equatable {
    /// The request line and header fields of one request together; more is answered 431.
    public var maxHeaderBytes: Int
    /// How long the head of a request may take: from the accepted connection (TLS handshake
    /// included) for the first request, from its first byte for a later one.
    public var requestHeaderTimeout: Duration
    /// How long a kept-alive connection may wait for its next request before it is closed.
    public var idleTimeout: Duration
    /// After `requestBodyGracePeriod`, a request body must have arrived at this average rate
    /// (bytes per second) or the request is answered 408; 0 turns the check off.
    public var minRequestBodyRate: Int
    public var requestBodyGracePeriod: Duration
    /// Open connections per caller (a local uid, or a bridged caller's source address); more are
    /// answered 429.
    public var maxConnectionsPerCaller: Int
    /// Beyond the cap, this many more connections of one caller are answered 429; the rest are
    /// closed at once, unanswered, so refusals cannot hold descriptors without bound either.
    public var answeredRefusalsPerCaller: Int

    public init(maxHeaderBytes: Int = 1 << 20, requestHeaderTimeout: Duration = .seconds(32), idleTimeout: Duration = .seconds(90),
                minRequestBodyRate: Int = 240, requestBodyGracePeriod: Duration = .seconds(5), maxConnectionsPerCaller: Int = 128,
                answeredRefusalsPerCaller: Int = 8) {
        self.maxHeaderBytes = maxHeaderBytes
        self.requestHeaderTimeout = requestHeaderTimeout
        self.idleTimeout = idleTimeout
        self.minRequestBodyRate = minRequestBodyRate
        self.requestBodyGracePeriod = requestBodyGracePeriod
        self.maxConnectionsPerCaller = maxConnectionsPerCaller
        self.answeredRefusalsPerCaller = answeredRefusalsPerCaller
    }
}
