/// Why a request of the gateway's own to an API server (``ClusterClient``) got no answer.
public struct ClusterRequestError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case noEndpoint, connect, tls, timeout, tooLarge, connectionClosed
    }

    public var cluster: String
    public var endpoint: String
    public var kind: Kind
    public var detail: String

    public var description: String {
        let what: String
        switch kind {
        case .noEndpoint: return "cluster \(cluster) has no endpoint"
        case .connect: what = "cannot connect"
        case .tls: what = "TLS failed (is caFile the API server's CA, and serverNames a name in its certificate?)"
        case .timeout: what = "no answer in time"
        case .tooLarge: what = "the answer is too large"
        case .connectionClosed: what = "the connection closed before the answer was complete"
        }
        return "cluster \(cluster) at \(endpoint): \(what)\(detail.isEmpty ? "" : ": \(detail)")"
    }
}
