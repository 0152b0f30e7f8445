import ArgumentParser

/// `portcullis relay`: the relay (docs/relay.md). Without a subcommand it runs the relay.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Run a relay, which holds the clusters' credentials off the runner hosts, or manage the gateways it admits.",
        discussion: """
            A relay runs next to the API servers and listens for gateways over mutual TLS. Gateways whose \
            clusters have `relay:` forward each request there with the agent's token unchanged; the relay \
            verifies the token itself, applies its own policy, impersonates the user with its own credential, \
            and records everything, naming the gateway. See docs/relay.md and examples/relay.yaml.
            """,
        subcommands: [RelayRunCommand.self, RelayInitCommand.self, RelayEnrollCommand.self, RelayRevokeCommand.self,
                      RelayGatewaysCommand.self],
        defaultSubcommand: RelayRunCommand.self)
}

extension ConfigOption {
    /// The configuration, which must be a relay's (`relay:`), with its relay section.
    func loadRelay() throws -> (GatewayConfiguration, RelaySection) {
        let configuration = try load()
        guard let relay = configuration.relay else {
            Console.error("\(path) is a gateway's configuration (gateway:); a relay's has relay: instead (see examples/relay.yaml)")
            throw PortcullisExit.configuration
        }
        return (configuration, relay)
    }

    /// The configuration, which must be a gateway's (`gateway:`): `command` is one a relay has no use for.
    func loadGateway(for command: String) throws -> GatewayConfiguration {
        let configuration = try load()
        guard !configuration.isRelay else {
            Console.error("\(path) is a relay's configuration (relay:): \(command) runs on a gateway's host; for a relay, see portcullis relay --help")
            throw PortcullisExit.configuration
        }
        return configuration
    }
}
