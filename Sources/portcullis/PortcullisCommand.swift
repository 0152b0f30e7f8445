import ArgumentParser

@main
struct PortcullisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "A gateway that records and governs every kubectl call an agent makes.",
        discussion: """
            Portcullis steers every connection from this host to a Kubernetes API server into a local proxy, \
            requires an OIDC identity, applies policy, forwards with its own credential and records everything. \
            See README.md and docs/intercept.md.
            """,
        version: "0.1.0-dev",
        subcommands: [InitCommand.self, RulesCommand.self, UpCommand.self, SessionsCommand.self, ShowCommand.self, TailCommand.self,
                      ReplayCommand.self,
                      ExportCommand.self, VerifyCommand.self, PruneCommand.self, PolicyCommand.self, PendingCommand.self,
                      ApproveCommand.self, DenyCommand.self, GrantCommand.self, GrantsCommand.self, RevokeCommand.self, CentralCommand.self,
                      StatusCommand.self, DoctorCommand.self, RelayCommand.self])
}
