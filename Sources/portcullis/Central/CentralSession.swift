import ArgumentParser
import Central
import Logging
import NIOPosix
import PostgresNIO

/// A short-lived connection pool to the central store for one command: the client runs for as long
/// as `body` does. Failures print what went wrong and exit with the code scripts rely on.
enum CentralSession {
    static func with<T: Sendable>(_ configuration: CentralConfiguration, _ body: (PostgresClient) async throws -> T) async throws -> T {
        let client: PostgresClient
        do {
            // The pool's own log stays quiet below errors: every failure reaches the command, which says it once.
            var poolLogger = Logger(label: "portcullis.central.pool")
            poolLogger.logLevel = .error
            client = try CentralConnector.client(configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: poolLogger)
        } catch {
            throw fail(error)
        }
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                return try await body(client)
            } catch let error as CentralStoreError {
                throw fail(error)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw fail(CentralStoreError.from(error, store: configuration.endpointDescription, doing: "the request"))
            }
        }
    }

    /// Prints the error and gives the exit code: 4 when the role may not, 2 for a credential or
    /// configuration problem, 3 when the store cannot be reached or used.
    static func fail(_ error: CentralStoreError) -> ExitCode {
        Console.error(error.description)
        switch error {
        case .permissionDenied: return PortcullisExit.notPermitted
        case .credential, .tls: return PortcullisExit.configuration
        case .conflict: return PortcullisExit.tampered
        default: return PortcullisExit.storeUnavailable
        }
    }

    static let logger = Logger(label: "portcullis.central")
}
