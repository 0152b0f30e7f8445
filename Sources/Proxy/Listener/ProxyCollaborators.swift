import Intercept
import NIOCore
import NIOSSL

/// Checks an agent's token. The OIDC verifier implements it; tests use fakes.
/// Called on the connection's event loop for every request: answer cached tokens synchronously.
public protocol TokenAuthenticator: Sendable {
    func authenticate(token: String, on eventLoop: any EventLoop) -> EventLoopFuture<AuthenticationOutcome>
}

/// Provides the server-side TLS context for connections to one destination, with a certificate
/// minted for it. Called once per accepted connection; must cache.
public protocol ServingContextSource: Sendable {
    func sslContext(destination: IPAddress, serverNames: [String]) throws -> NIOSSLContext
}
