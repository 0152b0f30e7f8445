import Foundation

/// Runs short system commands (`ip`, `kill`) to completion, synchronously.
///
/// Synchronous on purpose: cleanup runs from `defer`, from signal handling and at exit, where nothing
/// can be awaited. Only for commands that finish on their own in well under the timeout; anything
/// long-running is a ``ChildProcess``. These processes are not registered for cleanup: they are part
/// of it.
public enum HostCommand {
    /// Runs `executable` with `arguments` and returns its exit status and output.
    /// Throws only when it cannot be started or does not finish within `timeout` (it is then killed).
    ///
    /// `environment` replaces the inherited environment when given (secrets go there, never into
    /// `arguments`, which every user can read in /proc). `standardInput` is written from a background
    /// thread and then closed; without it the command reads /dev/null.
    public static func run(_ executable: String, _ arguments: [String],
                           timeout: Duration = .seconds(30), environment: [String: String]? = nil,
                           standardInput: [UInt8]? = nil) throws -> HostCommandResult {
        let command = ([executable] + arguments).joined(separator: " ")
        let state = ChildProcessState()
        // Finished when the process has exited and both pipes reached end of file.
        let done = DispatchGroup()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let inputPipe = standardInput.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        let pipes = [(Pipe(), OutputChannel.standardOutput), (Pipe(), OutputChannel.standardError)]
        process.standardOutput = pipes[0].0
        process.standardError = pipes[1].0
        done.enter()
        process.terminationHandler = { finished in
            state.recordExit(ExitStatus(finished))
            done.leave()
        }
        do {
            try SignalMask.withNothingBlocked { try process.run() }
        } catch {
            done.leave()  // a group must not be released while entered
            throw HarnessError("cannot start `\(command)`: \(error)")
        }
        for (pipe, channel) in pipes { drain(pipe, channel, into: state, group: done, name: executable) }
        if let inputPipe, let standardInput { feed(standardInput, to: inputPipe.fileHandleForWriting, name: executable) }
        guard done.wait(timeout: .now() + timeout.timeInterval) == .success else {
            _ = kill(process.processIdentifier, SIGKILL)
            throw HarnessError("`\(command)` did not finish within \(timeout)\n\(state.snapshot.report)")
        }
        return HostCommandResult(command: command, snapshot: state.snapshot)
    }

    private static func drain(_ pipe: Pipe, _ channel: OutputChannel, into state: ChildProcessState,
                              group: DispatchGroup, name: String) {
        group.enter()
        PipeDrain.start(pipe.fileHandleForReading, name: "\(channel) of \(name)",
                        onData: { state.append($0, to: channel) },
                        onEnd: { state.close(channel); group.leave() })
    }

    private static func feed(_ bytes: [UInt8], to writer: FileHandle, name: String) {
        let thread = Thread {
            PipeDrain.writeAll(bytes, to: writer.fileDescriptor)
            try? writer.close()
        }
        thread.name = "stdin of \(name)"
        thread.start()
    }

    /// Runs the command and throws a ``HarnessError`` with its output unless it exits 0.
    @discardableResult
    public static func check(_ executable: String, _ arguments: [String],
                             timeout: Duration = .seconds(30)) throws -> HostCommandResult {
        let result = try run(executable, arguments, timeout: timeout)
        guard result.status.isSuccess else {
            throw HarnessError("`\(result.command)` failed (\(result.status)): \(result.standardError)\(result.standardOutput)")
        }
        return result
    }
}
