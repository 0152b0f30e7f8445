import Foundation

/// Runs a real kubectl binary against a cluster, inside a namespace, with a private HOME and cache.
///
/// Invariants:
/// - Every invocation passes `--kubeconfig` and its own `--cache-dir`, so discovery is never served from
///   another test's cache, and never reads the runner's `~/.kube`.
/// - The environment is minimal and fixed (PATH, HOME, LANG); nothing leaks in from the test runner.
/// - ``remove()`` deletes the private directory; the registry does it on interrupt or exit otherwise.
public struct Kubectl: Sendable {
    public static let bundleDirectory = "/usr/lib/google-cloud-sdk/bin"
    public static let supportedMinors = 27...33

    /// The kubectl the tests use unless they ask for another: 1.32.
    public static let defaultBinary = binary(minor: 32)

    /// The Cloud SDK's bundled kubectl for 1.`minor` (27 to 33).
    public static func binary(minor: Int) -> String {
        precondition(supportedMinors.contains(minor), "kubectl 1.\(minor) is not bundled (1.27 to 1.33 are)")
        return "\(bundleDirectory)/kubectl.1.\(minor)"
    }

    public let binary: String
    public let kubeconfigPath: String
    public let namespace: NetworkNamespace?
    public let runAs: RunAs?
    public let extraEnvironment: [String: String]
    /// The cgroup v2 directory kubectl runs in (``TestCgroup``); nil: the test runner's.
    public var cgroup: String?
    private let home: TemporaryDirectory

    /// A kubectl for `kubeconfigPath`, running in `namespace` (or the runner's own when `nil`).
    public init(binary: String = Kubectl.defaultBinary, kubeconfig kubeconfigPath: String,
                namespace: NetworkNamespace?, runAs: RunAs? = nil,
                extraEnvironment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HarnessError("missing kubectl \(binary): install the Cloud SDK's kubectl package "
                + "(scripts/setup.sh checks for kubectl 1.27 to 1.33)")
        }
        self.binary = binary
        self.kubeconfigPath = kubeconfigPath
        self.namespace = namespace
        self.runAs = runAs
        self.extraEnvironment = extraEnvironment
        let home = try TemporaryDirectory.create(purpose: "kubectl")
        if let runAs, chown(home.path, runAs.uid, runAs.gid) != 0 {
            home.remove()
            throw HarnessError("cannot hand \(home.path) to uid \(runAs.uid): errno \(errno)")
        }
        self.home = home
    }

    /// The private HOME (its `cache` subdirectory is the discovery cache).
    public var homeDirectory: String { home.path }
    public var cacheDirectory: String { home.path("cache") }

    /// The full argument list for `arguments`: the global flags first.
    public func commandArguments(_ arguments: [String]) -> [String] {
        ["--kubeconfig", kubeconfigPath, "--cache-dir", cacheDirectory] + arguments
    }

    var environment: [String: String] {
        var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                           "HOME": home.path, "LANG": "C.UTF-8"]
        environment.merge(extraEnvironment) { _, new in new }
        return environment
    }

    /// Runs `kubectl arguments...` to completion, feeding `stdin` if given.
    /// Throws only if it cannot start or runs longer than `timeout` (it is then killed).
    public func run(_ arguments: [String], stdin: String? = nil,
                    timeout: Duration = .seconds(60)) async throws -> KubectlResult {
        let process = try start(arguments, standardInput: stdin.map(StandardInput.text) ?? .null)
        let status: ExitStatus
        do {
            status = try await process.waitForExit(timeout: timeout)
        } catch {
            await process.terminate(grace: .seconds(1))
            throw error
        }
        return KubectlResult(arguments: arguments, status: status, standardOutput: process.standardOutput,
                             standardError: process.standardError)
    }

    /// Starts a long-running kubectl (`get -w`, `logs -f`, `exec -i`); the caller ends it.
    public func start(_ arguments: [String], standardInput: StandardInput = .null) throws -> ChildProcess {
        let options = LaunchOptions(namespace: namespace?.name, runAs: runAs, environment: environment,
                                    workingDirectory: home.path, standardInput: standardInput,
                                    label: "kubectl \(arguments.joined(separator: " "))", cgroup: cgroup)
        return try ChildProcess.launch(binary, commandArguments(arguments), options: options)
    }

    /// Deletes the private HOME and cache. Idempotent.
    public func remove() {
        home.remove()
    }
}
