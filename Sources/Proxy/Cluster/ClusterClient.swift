import Intercept
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One request of the gateway's own to an API server, with the gateway's credential and the TLS
/// the forwarding path uses (``ClusterTLS``): for `portcullis doctor --cluster`, never on the
/// request path. No impersonation: the answer is about the credential itself.
public struct ClusterClient: Sendable {
    public let cluster: ClusterUpstream
    public let eventLoopGroup: any EventLoopGroup
    public var timeout: TimeAmount = .seconds(10)
    public var maximumBodyBytes = 4 << 20

    public init(cluster: ClusterUpstream, eventLoopGroup: any EventLoopGroup) {
        self.cluster = cluster
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends `method path` with a JSON body to the cluster's first endpoint.
    public func send(_ method: HTTPMethod, _ path: String, json body: [UInt8]) async throws(ClusterRequestError) -> ClusterResponse {
        guard let endpoint = cluster.endpoints.first else { throw ClusterRequestError(cluster: cluster.name, endpoint: "", kind: .noEndpoint, detail: "") }
        let name = cluster.name
        let where_ = endpoint.description
        let fail: @Sendable (ClusterRequestError.Kind, String) -> ClusterRequestError = {
            ClusterRequestError(cluster: name, endpoint: where_, kind: $0, detail: $1)
        }
        let tls: NIOSSLContext
        let address: SocketAddress
        do {
            tls = try NIOSSLContext(configuration: ClusterTLS.configuration(for: cluster))
            address = try SocketAddress(ipAddress: endpoint.address.description, port: Int(endpoint.port))
        } catch {
            throw fail(.connect, "\(error)")
        }
        let serverName = ClusterTLS.serverHostname(for: cluster)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: serverName.map { "\($0):\(endpoint.port)" } ?? where_)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "User-Agent", value: "portcullis-doctor")
        headers.add(name: "Connection", value: "close")
        if case .bearerToken(let token) = cluster.credential { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let eventLoop = eventLoopGroup.next()
        let promise = eventLoop.makePromise(of: ClusterResponse.self)
        let deadline = NIODeadline.now() + timeout
        let limit = maximumBodyBytes
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(ClusterResponseHandler(head: head, body: body, limit: limit, deadline: deadline,
                                                               promise: promise, fail: fail))
                }
            }
        do {
            _ = try await bootstrap.connect(to: address).get()
        } catch {
            let failure = fail(.connect, "\(error)")
            promise.fail(failure)
            throw failure
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as ClusterRequestError {
            throw error
        } catch {
            throw fail(.connectionClosed, "\(error)")
        }
    }
}
