import ArgumentParser
import Logging
import Proxy

/// What `up` and `relay` do when starting fails, and the warning about issuers whose keys did not
/// load: the same for both.
enum StartupFailure {
    /// Runs `cleanup`, prints why starting failed, and returns the exit code to throw: a
    /// configuration error exits 2, anything else 3.
    static func exit(after error: any Error, starting what: String, cleanup: () -> Void) -> ExitCode {
        cleanup()
        if let error = error as? ConfigurationError {
            Console.error(error.description)
            return PortcullisExit.configuration
        }
        Console.error("starting \(what) failed: \(error)")
        return PortcullisExit.system
    }

    /// Not fatal: until an issuer's keys load, its tokens are refused (fail closed) and retried.
    static func warnAboutIssuersWithoutKeys(_ authenticator: OIDCAuthenticator, logger: Logger) async {
        for (issuer, problem) in await authenticator.refreshKeys().sorted(by: { $0.key < $1.key }) {
            logger.warning("cannot load the signing keys of an issuer yet", metadata: ["issuer": "\(issuer)", "error": "\(problem)"])
        }
    }
}
