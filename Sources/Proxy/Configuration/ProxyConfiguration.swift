import Intercept

/// How the proxy runs: where it listens, which clusters it fronts, and its limits.
public struct ProxyConfiguration: Sendable {
    /// The port iptables redirects to.
    public var port: UInt16
    /// Loopback and bridge addresses to listen on.
    public var listenAddresses: [IPAddress]
    public var clusters: [ClusterUpstream]
    /// The header the agent's token arrives in; `Authorization` means `Authorization: Bearer TOKEN`.
    public var tokenHeader: String
    /// Largest request body accepted, as kube-apiserver's 3 MiB.
    public var maxRequestBodyBytes: Int
    /// How much of each request and response body the record keeps.
    public var recordedBodyLimit: Int
    /// An ordinary response is held until its record is committed, up to this many bytes; a larger
    /// one is released to stream on (see ``HeldResponse``).
    public var maxHeldResponseBytes: Int
    /// How long connecting to an API server may take before the request gets a 503.
    public var upstreamConnectTimeout: Duration
    /// What one client may take: header size, timeouts, body rate, connections per caller.
    public var limits: ClientLimits
    /// Reads (get, list and watch, no upgrade, no proxy subresource) go to the API server at once,
    /// while their record commits; their response still reaches the client only once the request's
    /// and the response's records are committed. Anything that can change the cluster is recorded
    /// before it is forwarded, always. Off: every request waits for its record first (the central
    /// store's `required` mode needs that, for reads too).
    public var forwardReadsWhileRecording = true

    public init(port: UInt16, listenAddresses: [IPAddress], clusters: [ClusterUpstream], tokenHeader: String = "Authorization",
                maxRequestBodyBytes: Int = 3 * 1024 * 1024, recordedBodyLimit: Int = 64 * 1024,
                maxHeldResponseBytes: Int = 8 * 1024 * 1024, upstreamConnectTimeout: Duration = .seconds(10),
                limits: ClientLimits = ClientLimits()) {
        self.port = port
        self.listenAddresses = listenAddresses
        self.clusters = clusters
        self.tokenHeader = tokenHeader
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.recordedBodyLimit = recordedBodyLimit
        self.maxHeldResponseBytes = maxHeldResponseBytes
        self.upstreamConnectTimeout = upstreamConnectTimeout
        self.limits = limits
    }

    /// The cluster an original destination belongs to.
    public func cluster(for destination: SocketEndpoint) -> ClusterUpstream? {
        clusters.first { $0.endpoints.contains(destination) }
    }
}
