import Intercept
import Logging
import NIOCore
import Synchronization

/// What every connection of the proxy shares.
public struct ProxyServices: Sendable {
    public var configuration: ProxyConfiguration
    public var authenticator: any TokenAuthenticator
    public var servingContexts: any ServingContextSource
    public var recorder: any ProxyRecorder
    /// The policy in force and the grants; every authenticated request is decided by it.
    public var policy: AccessPolicy
    /// Requests held for review.
    public var reviews: ReviewQueue
    public var attribution: CallerAttribution?
    public var admission: RedirectAdmission
    public var logger: Logger
    let ids: IdentifierSource
    let pools: UpstreamPools
    /// Open connections per caller, for ``ClientLimits/maxConnectionsPerCaller``.
    let connections: CallerConnectionCounter
    /// Where each request's time goes.
    let stages: RequestStageTimers

    public init(configuration: ProxyConfiguration, authenticator: any TokenAuthenticator, servingContexts: any ServingContextSource,
                recorder: any ProxyRecorder, policy: AccessPolicy, reviews: ReviewQueue = ReviewQueue(), attribution: CallerAttribution?, logger: Logger) throws(RedirectAdmission.ConfigurationError) {
        self.configuration = configuration
        self.authenticator = authenticator
        self.servingContexts = servingContexts
        self.recorder = recorder
        self.policy = policy
        self.reviews = reviews
        self.attribution = attribution
        self.logger = logger
        self.admission = try RedirectAdmission(endpoints: configuration.clusters.flatMap(\.endpoints),
                                               gatewayAddresses: configuration.listenAddresses, gatewayPort: configuration.port)
        self.ids = IdentifierSource()
        self.pools = UpstreamPools()
        self.connections = CallerConnectionCounter()
        self.stages = RequestStageTimers()
    }
}

/// Connection and request numbers, unique within the process.
final class IdentifierSource: Sendable {
    private let next = Atomic<UInt64>(1)

    func connection() -> ConnectionID { ConnectionID(next.wrappingAdd(1, ordering: .relaxed).oldValue) }
    func request() -> RequestID { RequestID(next.wrappingAdd(1, ordering: .relaxed).oldValue) }
}
