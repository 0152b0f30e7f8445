import Foundation

/// A throwaway network namespace (`ip netns add`) with its loopback up.
///
/// Invariants:
/// - The name is a ``NamespaceName`` owned by this process, so a crashed run's leftovers are found by
///   ``StaleResourceSweep``, which runs once before this process creates its first namespace.
/// - It is registered with ``CleanupRegistry/shared`` from before it exists until ``remove()``.
/// - Removing kills every process inside (SIGKILL) before deleting it, so nothing keeps it alive.
public final class NetworkNamespace: Sendable, CustomStringConvertible {
    public let name: String
    public let role: String
    private let cleanupToken: CleanupToken

    private init(name: String, role: String, cleanupToken: CleanupToken) {
        self.name = name
        self.role = role
        self.cleanupToken = cleanupToken
    }

    public var description: String { name }

    /// Creates a namespace for `role` (lowercase letters and digits, e.g. `agent`). Needs root.
    public static func create(role: String) throws -> NetworkNamespace {
        try Privileges.requireRoot()
        let ip = try SystemTools.ip()
        StaleResourceSweep.runOnce()
        let name = try NamespaceName.next(role: role).description
        let token = CleanupRegistry.shared.register("network namespace \(name)") { destroy(named: name) }
        let namespace = NetworkNamespace(name: name, role: role, cleanupToken: token)
        do {
            try HostCommand.check(ip, ["netns", "add", name])
            try HostCommand.check(ip, ["-n", name, "link", "set", "lo", "up"])
        } catch {
            namespace.remove()
            throw error
        }
        return namespace
    }

    /// Kills everything inside and deletes the namespace. Idempotent.
    public func remove() {
        CleanupRegistry.shared.runNow(cleanupToken)
    }

    /// Runs `ip -n NAME arguments...` and throws unless it succeeds.
    @discardableResult
    public func ip(_ arguments: [String]) throws -> HostCommandResult {
        try HostCommand.check(try SystemTools.ip(), ["-n", name] + arguments)
    }

    /// Runs a short command inside the namespace to completion (`ip netns exec NAME ...`).
    public func run(_ executable: String, _ arguments: [String] = [],
                    timeout: Duration = .seconds(30)) throws -> HostCommandResult {
        try HostCommand.run(try SystemTools.ip(), ["netns", "exec", name, executable] + arguments, timeout: timeout)
    }

    /// Starts a long-running process inside the namespace.
    public func launch(_ executable: String, _ arguments: [String] = [],
                       options: LaunchOptions = LaunchOptions()) throws -> ChildProcess {
        var options = options
        options.namespace = name
        return try ChildProcess.launch(executable, arguments, options: options)
    }

    /// The pids of the processes inside (`ip netns pids`); empty if the namespace does not exist.
    public var processIdentifiers: [Int32] { Self.processIdentifiers(in: name) }

    // MARK: Removal by name (also used by the stale sweep)

    /// Kills every process in namespace `name`, then deletes it. Never throws: it is cleanup.
    static func destroy(named name: String) {
        guard let ip = try? SystemTools.ip() else { return }
        killProcesses(in: name)
        _ = try? HostCommand.run(ip, ["netns", "delete", name])
    }

    /// SIGKILLs the processes in `name` until none is left, for at most about two seconds.
    static func killProcesses(in name: String) {
        for _ in 0..<100 {
            let pids = processIdentifiers(in: name)
            if pids.isEmpty { return }
            for pid in pids { _ = kill(pid, SIGKILL) }
            // A killed process leaves the namespace when the kernel has torn it down; there is no
            // notification for processes that are not our children, so re-check briefly.
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    static func processIdentifiers(in name: String) -> [Int32] {
        guard let ip = try? SystemTools.ip(),
              let result = try? HostCommand.run(ip, ["netns", "pids", name]), result.status.isSuccess else { return [] }
        return TextLines.lines(of: result.standardOutput).compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The names of all network namespaces on the host (`ip netns list`).
    static func allNames() -> [String] {
        guard let ip = try? SystemTools.ip(),
              let result = try? HostCommand.run(ip, ["netns", "list"]), result.status.isSuccess else { return [] }
        return TextLines.lines(of: result.standardOutput).compactMap { $0.split(separator: " ").first.map(String.init) }
    }
}
