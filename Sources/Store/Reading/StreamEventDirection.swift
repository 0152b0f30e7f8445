/// Which way a stream chunk went.
public enum StreamEventDirection: String, Sendable, Hashable {
    case clientToUpstream = "client_to_upstream"
    case upstreamToClient = "upstream_to_client"

    /// `>` toward the API server, `<` toward the client.
    public var arrow: String { self == .clientToUpstream ? ">" : "<" }
}
