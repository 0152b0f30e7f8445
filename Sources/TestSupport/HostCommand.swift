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
    public static func run(_ executable: String, _ arguments: [String],
                           timeout: Duration = .seconds(30)) throws -> HostCommandResult {
        let command = ([executable] + arguments).joined(separator: " ")
        let state = ChildProcessState()
        // Finished when the process has exited and both pipes reached end of file.
        let done = DispatchGroup()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
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
