import ArgumentParser

@main
struct PortcullisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "A gateway that records and governs every kubectl call an agent makes.",
        discussion: """
            Portcullis steers every connection from this host to a Kubernetes API server into a local proxy, \
            requires an OIDC identity, applies policy, forwards with its own credential and records everything. \
            The gateway commands arrive with the Intercept, Proxy and Store modules; see README.md.
            """,
        version: "0.1.0-dev")
}
