import Foundation

/// Starts, stops and signals one PostgreSQL server (its postmaster and the processes it forked),
/// with Debian's `pg_ctl` run as the server's user.
///
/// Invariants:
/// - The postmaster's pid comes from `DATA/postmaster.pid` and is used only while that process's
///   command line still names ``dataDirectory``, so a reused pid is never signalled.
/// - ``forceStop()`` never throws and is bounded: it is cleanup (CleanupRegistry, `defer`).
/// - `pg_ctl` gets a small fixed environment, so nothing from the test runner (PGPORT, PGDATA, ...)
///   changes what it does.
struct PostgresServerControl: Sendable {
    let namespace: String
    let dataDirectory: String
    let logPath: String
    let user: SystemUser

    static let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]

    /// `pg_ctl start -w` inside the namespace: returns once the server accepts connections.
    func start(timeout: Duration = .seconds(60)) throws {
        let arguments = ["-D", dataDirectory, "-l", logPath, "-w", "-t", String(timeout.components.seconds), "start"]
        let result = try pgCtl(arguments, inNamespace: true, timeout: timeout + .seconds(10))
        guard result.status.isSuccess else {
            throw HarnessError("pg_ctl start (\(dataDirectory)) failed (\(result.status)): \(result.standardError)\(result.standardOutput)"
                + "\n--- server log ---\n\(logTail())")
        }
    }

    /// `pg_ctl stop -m fast` (a clean shutdown with a checkpoint) or `-m immediate` (like a crash).
    func stop(fast: Bool, timeout: Duration = .seconds(60)) throws {
        let arguments = ["-D", dataDirectory, "-m", fast ? "fast" : "immediate", "-w", "-t", String(timeout.components.seconds), "stop"]
        let result = try pgCtl(arguments, inNamespace: false, timeout: timeout + .seconds(10))
        guard result.status.isSuccess else {
            throw HarnessError("pg_ctl stop (\(dataDirectory)) failed (\(result.status)): \(result.standardError)\(result.standardOutput)")
        }
    }

    /// The running postmaster's pid, or `nil` when no server runs on this data directory.
    var postmasterPID: Int32? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)),
              pid > 0, let arguments = ProcessTree.commandLine(of: pid), arguments.contains(dataDirectory) else { return nil }
        return pid
    }

    /// The postmaster and every process below it (backends, background workers), postmaster first.
    var serverPIDs: [Int32] {
        guard let pid = postmasterPID else { return [] }
        return [pid] + ProcessTree.descendants(of: pid)
    }

    /// SIGSTOP: the postmaster first, so it forks nothing new, then everything below it.
    func pause() throws {
        guard let pid = postmasterPID else { throw HarnessError("no PostgreSQL server runs on \(dataDirectory) to pause") }
        _ = kill(pid, SIGSTOP)
        for child in ProcessTree.descendants(of: pid) { _ = kill(child, SIGSTOP) }
    }

    /// SIGCONT to everything below the postmaster, then to the postmaster.
    func resume() {
        guard let pid = postmasterPID else { return }
        for child in ProcessTree.descendants(of: pid) { _ = kill(child, SIGCONT) }
        _ = kill(pid, SIGCONT)
    }

    /// Ends the server however it can: continues it if paused, `pg_ctl stop -m immediate`, then
    /// SIGKILL for whatever is left, and waits (about five seconds at most) until none of its
    /// processes is alive.
    func forceStop() {
        let pids = serverPIDs
        guard !pids.isEmpty else { return }
        resume()
        _ = try? pgCtl(["-D", dataDirectory, "-m", "immediate", "-w", "-t", "5", "stop"], inNamespace: false, timeout: .seconds(10))
        for _ in 0..<250 {
            let alive = pids.filter(ProcessTree.isAlive)
            if alive.isEmpty { return }
            for pid in alive { _ = kill(pid, SIGKILL) }
            // These processes are not our children: there is no notification when they are gone.
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// True while a postmaster runs on the data directory.
    var isRunning: Bool { postmasterPID != nil }

    /// The last lines of the server's log, for error messages.
    func logTail(lines: Int = 30) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "(no log at \(logPath))" }
        return TextLines.lines(of: text).suffix(lines).joined(separator: "\n")
    }

    /// `setpriv --reuid postgres ... pg_ctl ARGUMENTS`; when it starts the server, inside the
    /// namespace and with every inherited descriptor above 2 closed first (see ``closeInheritedDescriptors``).
    private func pgCtl(_ arguments: [String], inNamespace: Bool, timeout: Duration) throws -> HostCommandResult {
        var command = [try SystemTools.setpriv()] + user.setprivArguments + [try PostgresTools.pgCtl()] + arguments
        if inNamespace { command = [try SystemTools.ip(), "netns", "exec", namespace] + Self.closeInheritedDescriptors + command }
        return try HostCommand.run(command[0], Array(command.dropFirst()), timeout: timeout, environment: Self.environment)
    }

    /// A prefix that closes every descriptor above 2, then execs the rest of the command line.
    ///
    /// Foundation's `Process` on Linux learns that a child ended when a socket the child inherited
    /// closes. `pg_ctl start` leaves the postmaster running with everything pg_ctl had, so without
    /// this the postmaster would hold that socket, and pg_ctl's exit would go unnoticed until the
    /// server stops. pg_ctl's own output still reaches the test through descriptors 1 and 2.
    static let closeInheritedDescriptors = [
        "/bin/bash", "-c",
        #"for path in /proc/$$/fd/*; do fd=${path##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec "$@""#,
        "close-inherited-descriptors",
    ]
}
