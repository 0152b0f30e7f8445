import Foundation

/// Runs the netfilter tools (iptables-restore, iptables-save, ipset, conntrack, ss) to completion.
/// Not for the data path: rule changes and checks only.
public protocol CommandRunner: Sendable {
    func run(_ executable: String, _ arguments: [String], input: String?) throws(CommandError) -> CommandOutput
}

public struct CommandOutput: Sendable, Hashable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// A command that could not run, or did not succeed when it had to.
public struct CommandError: Error, Sendable, CustomStringConvertible {
    public var command: [String]
    public var status: Int32?
    public var message: String

    public var description: String {
        let line = command.joined(separator: " ")
        if let status { return "`\(line)` exited with status \(status): \(message)" }
        return "`\(line)` could not run: \(message)"
    }
}

extension CommandRunner {
    /// Runs the command and throws unless it exits 0.
    @discardableResult
    public func check(_ executable: String, _ arguments: [String], input: String? = nil) throws(CommandError) -> String {
        let output = try run(executable, arguments, input: input)
        guard output.status == 0 else {
            let detail = output.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw CommandError(command: [executable] + arguments, status: output.status,
                               message: detail.isEmpty ? "no error output" : detail)
        }
        return output.standardOutput
    }
}

/// Runs commands with posix_spawn and waitpid, feeding `input` on stdin and reading stdout and
/// stderr through poll, so neither a full pipe nor a missed SIGCHLD can hang it. The child starts
/// with default signal dispositions and nothing blocked.
public struct ProcessCommandRunner: CommandRunner {
    /// Also ignores SIGPIPE process-wide, so a child that exits without reading its input cannot
    /// kill this process when the input is written.
    public init() {
        signal(SIGPIPE, SIG_IGN)
    }

    public func run(_ executable: String, _ arguments: [String], input: String?) throws(CommandError) -> CommandOutput {
        let command = [executable] + arguments
        var pipes: [[Int32]] = [[-1, -1], [-1, -1], [-1, -1]]
        for i in 0..<3 {
            guard pipe(&pipes[i]) == 0 else {
                pipes.flatMap { $0 }.filter { $0 >= 0 }.forEach { close($0) }
                throw CommandError(command: command, status: nil, message: "pipe: \(String(cString: strerror(errno)))")
            }
        }
        for fd in pipes.flatMap({ $0 }) { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do {
            pid = try spawn(command, stdin: pipes[0][0], stdout: pipes[1][1], stderr: pipes[2][1])
        } catch {
            pipes.flatMap { $0 }.forEach { close($0) }
            throw error
        }
        close(pipes[0][0]); close(pipes[1][1]); close(pipes[2][1])
        let (out, err) = exchange(input: Array((input ?? "").utf8), stdin: pipes[0][1], stdout: pipes[1][0], stderr: pipes[2][0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return CommandOutput(status: exitStatus, standardOutput: String(decoding: out, as: UTF8.self),
                             standardError: String(decoding: err, as: UTF8.self))
    }

    private func spawn(_ command: [String], stdin: Int32, stdout: Int32, stderr: Int32) throws(CommandError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw CommandError(command: command, status: nil, message: String(cString: strerror(result)))
        }
        return pid
    }

    /// Writes `input` to stdin and reads stdout and stderr until both end, with poll.
    private func exchange(input: [UInt8], stdin: Int32, stdout: Int32, stderr: Int32) -> ([UInt8], [UInt8]) {
        var out: [UInt8] = [], err: [UInt8] = []
        var written = 0
        var stdinFD: Int32 = stdin
        if input.isEmpty { close(stdinFD); stdinFD = -1 }
        var open: Set<Int32> = [stdout, stderr]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty || stdinFD >= 0 {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { break }
            for fd in fds where fd.revents != 0 {
                if fd.fd == stdinFD {
                    let n = input[written...].withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
                    if n > 0 { written += n }
                    if n < 0, errno != EINTR, errno != EAGAIN { written = input.count }
                    if written >= input.count { close(stdinFD); stdinFD = -1 }
                    continue
                }
                let n = read(fd.fd, &buffer, buffer.count)
                if n > 0 {
                    if fd.fd == stdout { out += buffer[..<n] } else { err += buffer[..<n] }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.remove(fd.fd)
                    close(fd.fd)
                }
            }
        }
        return (out, err)
    }
}
