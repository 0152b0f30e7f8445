import ArgumentParser
import Foundation
import Intercept

/// `--config FILE`, and loading it with errors that exit with the configuration code.
struct ConfigOption: ParsableArguments {
    @Option(name: .customLong("config"), help: "The gateway configuration file (YAML; see examples/portcullis.yaml).")
    var path: String

    func load() throws -> GatewayConfiguration {
        do {
            return try GatewayConfiguration.load(path: path)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
    }

    /// The configuration with its endpoints resolved, and the renderer for it.
    func renderer() throws -> RuleRenderer {
        let configuration = try loadGateway(for: "the rules")
        do {
            let endpoints = try configuration.intercept.resolveEndpoints()
            return RuleRenderer(configuration: configuration.intercept, endpoints: endpoints)
        } catch {
            Console.error("\(path): \(error)")
            throw PortcullisExit.configuration
        }
    }
}

/// Messages for the operator on standard error.
enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("portcullis: \(message)\n".utf8))
    }

    static func info(_ message: String) {
        FileHandle.standardError.write(Data("portcullis: \(message)\n".utf8))
    }
}
