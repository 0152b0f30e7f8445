import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The smallest HTTP/1.1 client that fetches an issuer's discovery document and JWKS: one GET per
/// connection, a 200 answer only, a bounded body, one deadline for connect, TLS and response.
///
/// Invariants: https is verified against ``tlsContext`` (the system trust store, or only the issuer's
/// `caFile`), including the host name (or the IP address for an IP literal); plain http is refused
/// unless ``allowPlainHTTP``. Runs off the request path: only key refreshes call it.
struct DiscoveryHTTPClient: Sendable {
    let eventLoopGroup: any EventLoopGroup
    let tlsContext: NIOSSLContext
    let allowPlainHTTP: Bool
    let timeout: TimeAmount
    let maximumBodyBytes: Int

    /// A TLS context trusting only the PEM certificates in `caFile`, or the system store when `nil`.
    static func makeTLSContext(caFile: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        if let caFile {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// The body of a 200 response to `GET urlText`.
    func get(_ urlText: String) async throws(DiscoveryFetchError) -> [UInt8] {
        let url: FetchURL
        do {
            url = try FetchURL(urlText)
        } catch {
            throw DiscoveryFetchError(url: urlText, kind: .invalidURL, detail: error.problem)
        }
        guard url.isHTTPS || allowPlainHTTP else { throw DiscoveryFetchError(url: urlText, kind: .insecureScheme) }
        let eventLoop = eventLoopGroup.next()
        let promise = eventLoop.makePromise(of: [UInt8].self)
        let deadline = NIODeadline.now() + timeout
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try addHandlers(to: channel, url: url, deadline: deadline, promise: promise)
                }
            }
        do {
            _ = try await bootstrap.connect(host: url.host, port: url.port).get()
        } catch {
            let failure = Self.connectError(error, url: url)
            promise.fail(failure)
            throw failure
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as DiscoveryFetchError {
            throw error
        } catch {
            throw DiscoveryFetchError(url: urlText, kind: .connectionClosed, detail: String(describing: error))
        }
    }

    private func addHandlers(to channel: any Channel, url: FetchURL, deadline: NIODeadline,
                             promise: EventLoopPromise<[UInt8]>) throws {
        let pipeline = channel.pipeline.syncOperations
        if url.isHTTPS {
            let handler = try NIOSSLClientHandler(context: tlsContext, serverHostname: url.hostIsIPAddress ? nil : url.host)
            try pipeline.addHandler(handler)
        }
        try pipeline.addHTTPClientHandlers()
        try pipeline.addHandler(DiscoveryResponseHandler(url: url, limit: maximumBodyBytes, deadline: deadline,
                                                         promise: promise))
    }

    private static func connectError(_ error: any Error, url: FetchURL) -> DiscoveryFetchError {
        if let fetchError = error as? DiscoveryFetchError { return fetchError }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return DiscoveryFetchError(url: url.text, kind: .timeout, detail: "connecting")
        }
        return DiscoveryFetchError(url: url.text, kind: .connect, detail: String(describing: error))
    }
}
