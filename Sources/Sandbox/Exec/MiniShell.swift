import Foundation
import Kube

/// The sandbox container's command set: `echo`, `cat`, `env`, `sleep`, `exit`, `true`, `false`,
/// `hostname` and `sh` (with `-c SCRIPT`, or reading commands from stdin).
public struct MiniShell: Sendable {
    /// How a command line ended.
    public enum Outcome: Sendable, Equatable {
        case exited(Int)
        /// The program does not exist; the message is what a container runtime would say.
        case notFound(String)
    }

    public var environment: [String: String]
    public var hostname: String
    public var tty: Bool

    public init(environment: [String: String], hostname: String, tty: Bool) {
        self.environment = environment
        self.hostname = hostname
        self.tty = tty
    }

    private static let builtins: Set<String> = ["echo", "cat", "env", "sleep", "exit", "true", "false", "hostname", "sh"]

    /// Runs an exec's argv, as the container runtime would start it.
    public func run(argv: [String], io: ShellIO) async -> Outcome {
        guard let program = argv.first else { return .notFound("no command given") }
        let name = program.split(separator: "/").last.map(String.init) ?? program
        guard Self.builtins.contains(name) else {
            return .notFound("exec: \(goQuote(program)): executable file not found in $PATH")
        }
        var state = ShellState(variables: environment, lastStatus: 0)
        let status = await runCommand([name] + argv.dropFirst(), io: tty ? Self.terminal(io) : io, state: &state)
        return .exited(state.exitRequested ?? status)
    }

    /// Output through a pty: every `\n` leaves as `\r\n` (onlcr), and stderr shares stdout.
    static func terminal(_ io: ShellIO) -> ShellIO {
        let stdout = io.stdout
        let write: @Sendable ([UInt8]) -> Void = { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 8)
            for b in bytes {
                if b == 0x0A { out.append(0x0D) }
                out.append(b)
            }
            stdout(out)
        }
        return ShellIO(stdin: io.stdin, stdout: write, stderr: write)
    }

    struct ShellState {
        var variables: [String: String]
        var lastStatus: Int
        var exitRequested: Int?
    }

    private func runCommand(_ argv: [String], io: ShellIO, state: inout ShellState) async -> Int {
        guard let name = argv.first else { return 0 }
        let args = Array(argv.dropFirst())
        switch name {
        case "echo":
            var words = args
            var newline = true
            if words.first == "-n" { newline = false; words.removeFirst() }
            io.out(words.joined(separator: " ") + (newline ? "\n" : ""))
            return 0
        case "cat": return await cat(args, io: io)
        case "env":
            io.out(state.variables.keys.sorted().map { "\($0)=\(state.variables[$0] ?? "")\n" }.joined())
            return 0
        case "sleep": return await sleep(args, io: io)
        case "exit":
            let code = args.first.flatMap { Int($0) }.map { ($0 % 256 + 256) % 256 } ?? state.lastStatus
            state.exitRequested = code
            return code
        case "true": return 0
        case "false": return 1
        case "hostname":
            io.out(hostname + "\n")
            return 0
        case "sh": return await sh(args, io: io, state: &state)
        default:
            io.err("sh: 1: \(name): not found\n")
            return 127
        }
    }

    private func cat(_ args: [String], io: ShellIO) async -> Int {
        var status = 0
        for file in args.isEmpty ? ["-"] : args {
            if file == "-" {
                while let chunk = await io.stdin.read() { io.stdout(chunk) }
            } else {
                io.err("cat: \(file): No such file or directory\n")
                status = 1
            }
        }
        return status
    }

    private func sleep(_ args: [String], io: ShellIO) async -> Int {
        guard args.count == 1, let seconds = Double(args[0]), seconds >= 0, seconds.isFinite else {
            io.err("sleep: invalid time interval '\(args.first ?? "")'\n")
            return 1
        }
        do {
            try await Task.sleep(nanoseconds: UInt64(min(seconds, 86_400) * 1_000_000_000))
        } catch {
            return 130
        }
        return 0
    }

    private func sh(_ args: [String], io: ShellIO, state: inout ShellState) async -> Int {
        if args.first == "-c" {
            guard args.count >= 2 else {
                io.err("sh: 0: -c requires an argument\n")
                return 2
            }
            return await runScript(args[1], io: io, state: &state)
        }
        if let file = args.first {
            io.err("sh: 0: cannot open \(file): No such file\n")
            return 2
        }
        return await InteractiveShell(shell: self).run(io: io, state: &state)
    }

    /// Runs one script in `state`, returning the last status (or the `exit` code).
    func runScript(_ script: String, io: ShellIO, state: inout ShellState) async -> Int {
        let parsed: ShellScript
        do {
            parsed = try ShellScript(parsing: script)
        } catch {
            io.err("sh: 1: \(error.message)\n")
            state.lastStatus = 2
            return 2
        }
        for step in parsed.steps {
            if state.exitRequested != nil { break }
            if step.connector == .and, state.lastStatus != 0 { continue }
            if step.connector == .or, state.lastStatus == 0 { continue }
            state.lastStatus = await runPipeline(step.pipeline, io: io, state: &state)
        }
        return state.exitRequested ?? state.lastStatus
    }

    /// Each command but the last writes into a buffer that becomes the next one's stdin.
    private func runPipeline(_ pipeline: [[ShellScript.Word]], io: ShellIO, state: inout ShellState) async -> Int {
        var stdin = io.stdin
        var status = 0
        for (index, words) in pipeline.enumerated() {
            let argv = words.map { expand($0, state: state) }
            if index == pipeline.count - 1 {
                status = await runCommand(argv, io: ShellIO(stdin: stdin, stdout: io.stdout, stderr: io.stderr), state: &state)
            } else {
                let buffer = OutputBuffer()
                status = await runCommand(argv, io: ShellIO(stdin: stdin, stdout: buffer.append, stderr: io.stderr), state: &state)
                stdin = ByteChannel(contents: buffer.bytes)
            }
        }
        return status
    }

    private func expand(_ word: ShellScript.Word, state: ShellState) -> String {
        word.pieces.map { $0.expands ? expandVariables($0.text, state: state) : $0.text }.joined()
    }

    private func expandVariables(_ text: String, state: ShellState) -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            guard c == "$", let next = chars.first else { out.append(c); continue }
            if next == "?" {
                chars.removeFirst()
                out += String(state.lastStatus)
            } else if next == "{", let close = chars.firstIndex(of: "}") {
                out += state.variables[String(chars[chars.index(after: chars.startIndex)..<close])] ?? ""
                chars = chars[(close + 1)...]
            } else {
                let name = chars.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if name.isEmpty { out.append(c); continue }
                chars = chars.dropFirst(name.count)
                out += state.variables[String(name)] ?? ""
            }
        }
        return out
    }
}

/// Collects a pipeline stage's output.
final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []

    var bytes: [UInt8] { lock.withLock { storage } }

    @Sendable func append(_ chunk: [UInt8]) {
        lock.withLock { storage += chunk }
    }
}
