import Intercept
import Kube
import NIOCore

/// What the gateway knows about an admitted connection, fixed when it is accepted.
public struct ConnectionContext: Sendable {
    public var id: ConnectionID
    public var cluster: ClusterUpstream
    /// The API endpoint the client dialled.
    public var destination: SocketEndpoint
    public var peer: SocketEndpoint
    public var caller: Caller
    /// When the socket was accepted (monotonic), for the `accept_tls` stage.
    public var acceptedAt = NIODeadline.now()
}
