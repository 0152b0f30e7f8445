import ArgumentParser

@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis-sandbox",
        abstract: "A stand-in Kubernetes API server for the Portcullis demo and tests.",
        subcommands: [APIServerCommand.self])
}
