import Intercept
import Kube

/// What the gateway knows about an admitted connection, fixed when it is accepted.
public struct ConnectionContext: Sendable {
    public var id: ConnectionID
    public var cluster: ClusterUpstream
    /// The API endpoint the client dialled.
    public var destination: SocketEndpoint
    public var peer: SocketEndpoint
    public var caller: Caller
}
