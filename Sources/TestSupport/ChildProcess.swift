import Foundation

/// A process the test started, with its standard output and standard error captured continuously.
///
/// Invariants:
/// - Both output pipes are drained from the moment the process starts, so it never blocks on output.
/// - Until it has exited, the process is registered with ``CleanupRegistry/shared``: an interrupt of the
///   test runner, or the runner's exit, kills it. Dropping the last reference kills it too.
/// - Signals are sent only while the exit has not been observed, so a reused pid is never signalled.
/// - Waits are bounded and event-driven: they wake on new output or on exit, never on a timer loop.
public final class ChildProcess: Sendable {
    /// A short name for messages.
    public let label: String
    /// The full command line as started, including any `ip netns exec` and `setpriv` prefix.
    public let commandLine: [String]
    /// The pid of the started program (`ip netns exec` and `setpriv` exec it in place).
    public let processIdentifier: Int32

    private let process: Process
    private let state: ChildProcessState
    private let standardInputWriter: FileHandle?

    private init(label: String, commandLine: [String], process: Process, state: ChildProcessState,
                 standardInputWriter: FileHandle?) {
        self.label = label
        self.commandLine = commandLine
        self.processIdentifier = process.processIdentifier
        self.process = process
        self.state = state
        self.standardInputWriter = standardInputWriter
    }

    deinit {
        kill()
        try? standardInputWriter?.close()
    }

    // MARK: Starting

    /// Starts `executable` with `arguments` as `options` say. Throws if it cannot be started.
    public static func launch(_ executable: String, _ arguments: [String] = [],
                              options: LaunchOptions = LaunchOptions()) throws -> ChildProcess {
        let commandLine = try fullCommandLine(executable, arguments, options)
        let label = options.label ?? shortLabel([executable] + arguments)
        let process = makeProcess(commandLine, options)
        let outputPipe = Pipe()
        let errorPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        let inputWriter = configureStandardInput(process, options.standardInput)
        let state = ChildProcessState()
        process.terminationHandler = { finished in state.recordExit(ExitStatus(finished)) }
        try start(process, label: label, commandLine: commandLine)
        startDrains(outputPipe, errorPipe, state: state, label: label)
        if options.registersForCleanup { registerForCleanup(pid: process.processIdentifier, state: state, label: label) }
        if case .bytes(let bytes) = options.standardInput, let inputWriter { feed(bytes, to: inputWriter, label: label) }
        return ChildProcess(label: label, commandLine: commandLine, process: process, state: state,
                            standardInputWriter: options.standardInput == .pipe ? inputWriter : nil)
    }

    private static func makeProcess(_ commandLine: [String], _ options: LaunchOptions) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: commandLine[0])
        process.arguments = Array(commandLine.dropFirst())
        if let environment = options.environment { process.environment = environment }
        if let directory = options.workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        return process
    }

    /// Spawns with no signals blocked (see ``SignalMask``).
    private static func start(_ process: Process, label: String, commandLine: [String]) throws {
        do {
            try SignalMask.withNothingBlocked { try process.run() }
        } catch {
            throw HarnessError("cannot start \(label) (\(commandLine.joined(separator: " "))): \(error)")
        }
    }

    /// `[sh -c 'enter the cgroup'] [ip netns exec NS [sh -c 'mount cgroup2']] [setpriv ... --] executable arguments...`
    static func fullCommandLine(_ executable: String, _ arguments: [String], _ options: LaunchOptions) throws -> [String] {
        var command = [executable] + arguments
        if let runAs = options.runAs { command = [try SystemTools.setpriv()] + runAs.setprivArguments + command }
        if options.mountsCgroupHierarchy, options.namespace != nil {
            command = ["/bin/sh", "-c", "mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec \"$@\"", "sh"] + command
        }
        if let namespace = options.namespace { command = [try SystemTools.ip(), "netns", "exec", namespace] + command }
        if let cgroup = options.cgroup {
            command = ["/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", cgroup] + command
        }
        return command
    }

    private static func shortLabel(_ command: [String]) -> String {
        let text = ([URL(fileURLWithPath: command[0]).lastPathComponent] + command.dropFirst()).joined(separator: " ")
        return text.count > 100 ? String(text.prefix(97)) + "..." : text
    }

    /// Sets the child's stdin; returns the parent's write end when there is a pipe.
    private static func configureStandardInput(_ process: Process, _ input: StandardInput) -> FileHandle? {
        switch input {
        case .null:
            process.standardInput = FileHandle.nullDevice
            return nil
        case .bytes, .pipe:
            let pipe = Pipe()
            process.standardInput = pipe
            return pipe.fileHandleForWriting
        }
    }

    private static func startDrains(_ output: Pipe, _ error: Pipe, state: ChildProcessState, label: String) {
        PipeDrain.start(output.fileHandleForReading, name: "stdout of \(label)",
                        onData: { state.append($0, to: .standardOutput) },
                        onEnd: { state.close(.standardOutput) })
        PipeDrain.start(error.fileHandleForReading, name: "stderr of \(label)",
                        onData: { state.append($0, to: .standardError) },
                        onEnd: { state.close(.standardError) })
    }

    private static func registerForCleanup(pid: Int32, state: ChildProcessState, label: String) {
        let token = CleanupRegistry.shared.register("process \(pid) (\(label))") {
            if state.snapshot.exitStatus == nil { _ = Foundation.kill(pid, SIGKILL) }
        }
        state.onExit { CleanupRegistry.shared.discard(token) }
    }

    private static func feed(_ bytes: [UInt8], to writer: FileHandle, label: String) {
        let thread = Thread {
            PipeDrain.writeAll(bytes, to: writer.fileDescriptor)
            try? writer.close()
        }
        thread.name = "stdin of \(label)"
        thread.start()
    }

    // MARK: Output and status

    /// Everything known now: output so far and the exit status, if any.
    public var snapshot: ChildSnapshot { state.snapshot }

    /// Standard output so far, as UTF-8 text.
    public var standardOutput: String { String(decoding: state.snapshot.standardOutput, as: UTF8.self) }

    /// Standard error so far, as UTF-8 text.
    public var standardError: String { String(decoding: state.snapshot.standardError, as: UTF8.self) }

    /// Standard output so far, as bytes.
    public var standardOutputBytes: [UInt8] { state.snapshot.standardOutput }

    /// The exit status, once the exit has been observed.
    public var exitStatus: ExitStatus? { state.snapshot.exitStatus }

    /// True until the exit has been observed.
    public var isRunning: Bool { state.snapshot.exitStatus == nil }

    /// The command and both streams, for failure messages.
    public var report: String {
        "\(label) [pid \(processIdentifier), \(exitStatus.map(\.description) ?? "running")]\n\(snapshot.report)"
    }

    // MARK: Waiting

    /// Waits for a complete line containing `text` on `channel`, and returns that line.
    ///
    /// Throws a ``HarnessError`` with all output so far when `timeout` passes first, or as soon as the
    /// process has exited and closed its output without printing such a line.
    @discardableResult
    public func waitForLine(containing text: String, in channel: OutputChannel = .standardOutput,
                            timeout: Duration = .seconds(30)) async throws -> String {
        let label = self.label
        let line = try await state.wait(timeout: timeout) { snapshot -> String? in
            if let line = snapshot.lines(in: channel).first(where: { $0.contains(text) }) { return line }
            if snapshot.finished, let status = snapshot.exitStatus {
                throw HarnessError("\(label) ended (\(status)) without printing a line containing "
                    + "\"\(text)\" on \(channel)\n\(snapshot.report)")
            }
            return nil
        }
        guard let line else {
            throw HarnessError("timed out after \(timeout) waiting for \(label) to print a line containing "
                + "\"\(text)\" on \(channel)\n\(report)")
        }
        return line
    }

    /// Waits for the process to exit and returns how it ended.
    ///
    /// After the exit it waits up to `outputGrace` more for the output pipes to close, so the output
    /// accessors are complete (a leftover grandchild holding the pipes cannot stall it longer).
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30),
                            outputGrace: Duration = .seconds(2)) async throws -> ExitStatus {
        guard let status = try await state.wait(timeout: timeout, until: { $0.exitStatus }) else {
            throw HarnessError("timed out after \(timeout) waiting for \(label) to exit\n\(report)")
        }
        _ = try await state.wait(timeout: outputGrace) { $0.outputComplete ? true : nil }
        return status
    }

    // MARK: Stopping

    /// Sends SIGTERM, waits up to `grace`, then sends SIGKILL. Returns the exit status, or `nil` if even
    /// SIGKILL was not observed to end it within `killTimeout`.
    @discardableResult
    public func terminate(grace: Duration = .seconds(5), killTimeout: Duration = .seconds(10)) async -> ExitStatus? {
        if let status = exitStatus { return status }
        signal(SIGTERM)
        if let status = try? await state.wait(timeout: grace, until: { $0.exitStatus }) { return status }
        signal(SIGKILL)
        return try? await state.wait(timeout: killTimeout, until: { $0.exitStatus })
    }

    /// Sends SIGKILL now, without waiting. Safe to call at any time, also after the exit.
    public func kill() {
        signal(SIGKILL)
    }

    /// Sends `signal` unless the exit has already been observed.
    public func signal(_ signal: Int32) {
        guard state.snapshot.exitStatus == nil else { return }
        _ = Foundation.kill(processIdentifier, signal)
    }

    // MARK: Standard input

    /// Writes `text` to standard input. Only for processes launched with ``StandardInput/pipe``.
    public func writeToStandardInput(_ text: String) throws {
        guard let writer = standardInputWriter else {
            throw HarnessError("\(label) was not started with a stdin pipe (use StandardInput.pipe)")
        }
        guard PipeDrain.writeAll(Array(text.utf8), to: writer.fileDescriptor) else {
            throw HarnessError("cannot write to the stdin of \(label): errno \(errno)\n\(report)")
        }
    }

    /// Closes standard input, so the process reads end of file.
    public func closeStandardInput() {
        try? standardInputWriter?.close()
    }
}
