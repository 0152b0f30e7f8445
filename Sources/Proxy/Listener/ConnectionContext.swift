import Intercept
import Kube
import NIOCore

/// What the proxy knows about an admitted connection, fixed when it is accepted (on a relay: when
/// its TLS handshake named the gateway and the cluster).
public struct ConnectionContext: Sendable {
    public var id: ConnectionID
    public var cluster: ClusterUpstream
    /// The API endpoint the client dialled; on a relay, the API endpoint the cluster's requests go to.
    public var destination: SocketEndpoint
    public var peer: SocketEndpoint
    public var caller: Caller
    /// When the socket was accepted (monotonic), for the `accept_tls` stage.
    public var acceptedAt = NIODeadline.now()
    /// On a relay: the gateway the connection comes from. Its requests carry the agent's source as
    /// the gateway reports it (``ReportedSource``). Nil on a gateway.
    public var gateway: GatewayPeer? = nil
}
