import ArgumentParser
import Central
import Kube
import NIOHTTP1

/// Where the running gateway's admin socket is: `--socket PATH`, or the `admin:` section of `--config FILE`.
struct AdminOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("The gateway configuration file (its admin socket).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("socket"), help: ArgumentHelp("The admin socket.", valueName: "path"))
    var socket: String?

    @Flag(name: .customLong("json"), help: "Print the gateway's JSON answer.")
    var json = false

    @Flag(name: .customLong("central"),
          help: "Act through the central store, for any host of the fleet, as the reviewer role of the central: section of --config.")
    var central = false

    @Option(name: .customLong("host"), help: ArgumentHelp("With --central: the gateway host.", valueName: "name"))
    var host: String?

    /// The central store's configuration, for `--central`.
    func centralConfiguration() throws -> CentralConfiguration {
        guard let config else { throw ReadingCommand.fail("--central needs --config FILE: a file with a central: section") }
        do {
            return try CentralSection.load(path: config)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
    }

    /// Refuses `--host` without `--central`.
    func checkHostNeedsCentral() throws {
        if host != nil, !central { throw ReadingCommand.fail("--host NAME acts through the central store: add --central") }
    }

    func client() throws -> AdminClient {
        if let socket { return AdminClient(socketPath: socket) }
        guard let config else { throw ReadingCommand.fail("give the gateway configuration with --config FILE, or the admin socket with --socket PATH") }
        do {
            return AdminClient(socketPath: try GatewayConfiguration.load(path: config).adminSocketPath)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
    }

    /// Calls the gateway; a refusal or an unreachable gateway exits with a message.
    func call(_ method: HTTPMethodName, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        let client = try client()
        do {
            return try await client.call(method.nio, path, body: body)
        } catch {
            Console.error(error.description)
            switch error {
            case .unreachable: throw PortcullisExit.system
            case .refused(let status, _) where status == 403: throw PortcullisExit.notPermitted
            case .refused(let status, _) where status >= 500: throw PortcullisExit.storeUnavailable
            case .refused: throw PortcullisExit.badArgument
            }
        }
    }

    func printJSON(_ value: JSONValue) {
        print(value.jsonString)
    }
}

/// The two methods the admin API uses.
enum HTTPMethodName {
    case get, post

    var nio: HTTPMethod { self == .get ? .GET : .POST }
}
