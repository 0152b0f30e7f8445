import Kube

/// What the admin socket streams as lines (`POST /v1/tail`, `portcullis tail`). The gateway's
/// wiring provides it (the store is not the proxy's to read).
public protocol AdminStreamSource: Sendable {
    /// Opens a stream for a request's JSON body; an ``AdminStreamError`` is answered 400 with its text.
    func open(_ request: JSONValue) async throws -> any AdminStream
}
