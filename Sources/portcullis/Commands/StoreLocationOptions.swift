import ArgumentParser
import Foundation
import Kube
import Store

/// Where the recording is, for `sessions`, `show`, `replay` and `export`: `--store PATH`, or the
/// `store:` section of `--config FILE`.
struct StoreLocationOptions: ParsableArguments {
    @Option(name: .customLong("store"), help: ArgumentHelp("The recording (SQLite file).", valueName: "path"))
    var store: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("The gateway configuration file; the recording is its store path.",
                                                             valueName: "file"))
    var config: String?

    @Flag(name: .customLong("central"),
          help: "Read the central PostgreSQL store (every host's record) instead of the local one; its connection is the central: section of --config.")
    var central = false

    @Option(name: .customLong("host"), help: ArgumentHelp("With --central: only this gateway host.", valueName: "name"))
    var host: String?

    /// The store's path; `--store` wins over `--config`.
    func path() throws -> String {
        if let store {
            guard !store.isEmpty else { throw ReadingCommand.fail("--store: the path is empty") }
            return store
        }
        guard let config else {
            throw ReadingCommand.fail("give the recording with --store PATH, or the gateway configuration with --config FILE")
        }
        do {
            return try GatewayConfiguration.load(path: config).storePath
        } catch {
            throw ReadingCommand.fail(error.description)
        }
    }

    /// The store, opened read-only; exits 3 naming the path when it cannot be opened.
    func open() throws -> StoreReader {
        let path = try path()
        do {
            return try StoreReader.open(path: path)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.storeUnavailable
        }
    }
}
