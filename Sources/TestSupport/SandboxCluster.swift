import Foundation
import Synchronization

/// A running `portcullis-sandbox apiserver` (see docs/sandbox.md): the stand-in Kubernetes API server.
///
/// Invariants:
/// - ``start(in:listen:logIntervalMilliseconds:extraArguments:readyTimeout:)`` returns only after the
///   sandbox printed its `portcullis-sandbox: ready` line, so it is serving; it never sleeps.
/// - Its data directory is a fresh ``TemporaryDirectory``; ``stop()`` ends the process and removes it.
/// - Started in a namespace, it dies with that namespace at the latest.
public final class SandboxCluster: Sendable {
    /// What the sandbox prints, then flushes, when it serves.
    public static let readyMarker = "portcullis-sandbox: ready"

    public let process: ChildProcess
    /// `--data-dir`: CA, certificates, tokens, kubeconfig and audit log.
    public let dataDirectory: String
    /// The URL from the ready line, e.g. `https://198.18.0.2:6443`.
    public let serverURL: String
    /// The kubeconfig from the ready line (the admin's, namespace `default`).
    public let kubeconfigPath: String
    private let workDirectory: TemporaryDirectory
    private let stopRequested = Atomic<Bool>(false)

    private init(process: ChildProcess, dataDirectory: String, serverURL: String, kubeconfigPath: String,
                 workDirectory: TemporaryDirectory) {
        self.process = process
        self.dataDirectory = dataDirectory
        self.serverURL = serverURL
        self.kubeconfigPath = kubeconfigPath
        self.workDirectory = workDirectory
    }

    /// `DIR/audit.log`.
    public var auditLogPath: String { dataDirectory + "/audit.log" }
    /// `DIR/ca.crt`, the CA that signed the serving certificate.
    public var caCertificatePath: String { dataDirectory + "/ca.crt" }
    /// `DIR/tokens.csv`.
    public var tokenFilePath: String { dataDirectory + "/tokens.csv" }
    /// A reader for the audit log.
    public var auditLog: AuditLog { AuditLog(path: auditLogPath) }

    /// Starts the sandbox in `namespace` listening on `listen` and waits until it is ready.
    /// `logIntervalMilliseconds` is how often each container writes a log line.
    public static func start(in namespace: NetworkNamespace?, listen: String = "127.0.0.1:6443",
                             logIntervalMilliseconds: Int = 1000, extraArguments: [String] = [],
                             readyTimeout: Duration = .seconds(60)) async throws -> SandboxCluster {
        let binary = try Products.sandbox()
        let work = try TemporaryDirectory.create(purpose: "sandbox")
        let dataDirectory = work.path("data")
        let arguments = ["apiserver", "--listen", listen, "--data-dir", dataDirectory,
                         "--log-interval-ms", String(logIntervalMilliseconds)] + extraArguments
        let options = LaunchOptions(namespace: namespace?.name, label: "portcullis-sandbox (\(listen))")
        do {
            let process = try ChildProcess.launch(binary, arguments, options: options)
            let line = try await process.waitForLine(containing: readyMarker, timeout: readyTimeout)
            let (url, kubeconfig) = parseReadyLine(line)
            guard let url else { throw HarnessError("no https:// URL in the sandbox's ready line: \(line)") }
            return SandboxCluster(process: process, dataDirectory: dataDirectory, serverURL: url,
                                  kubeconfigPath: kubeconfig ?? dataDirectory + "/kubeconfig", workDirectory: work)
        } catch {
            work.remove()
            throw error
        }
    }

    /// Throws if the sandbox has exited although nobody called ``stop()``: it crashed or gave up.
    public func requireRunning() throws {
        guard !stopRequested.load(ordering: .sequentiallyConsistent), let status = process.exitStatus else { return }
        throw HarnessError("portcullis-sandbox exited during the test (\(status))\n\(process.report)")
    }

    /// Reads `portcullis-sandbox: ready URL kubeconfig=PATH`; either field is `nil` when absent.
    public static func parseReadyLine(_ line: String) -> (url: String?, kubeconfig: String?) {
        let words = line.split(separator: " ").map(String.init)
        let url = words.first(where: { $0.hasPrefix("https://") })
        let kubeconfig = words.first(where: { $0.hasPrefix("kubeconfig=") }).map { String($0.dropFirst(11)) }
        return (url, kubeconfig)
    }

    /// Sends SIGTERM (SIGKILL after a grace period), waits for the exit, and removes the data directory.
    /// Returns the exit status; docs/sandbox.md promises exit 0 on SIGTERM.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> ExitStatus? {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        let status = await process.terminate(grace: grace)
        workDirectory.remove()
        return status
    }
}
