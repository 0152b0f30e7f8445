/// `sh` reading commands from stdin: with a tty it prompts, echoes what is typed, handles
/// backspace, ^C and ^D, and writes `\r\n` line ends, as a terminal in cooked mode would.
struct InteractiveShell {
    let shell: MiniShell

    func run(io: ShellIO, state: inout MiniShell.ShellState) async -> Int {
        let tty = shell.tty
        let stdout = io.stdout, stderr = io.stderr
        let out: @Sendable ([UInt8]) -> Void = { bytes in stdout(tty ? Self.crlf(bytes) : bytes) }
        let err: @Sendable ([UInt8]) -> Void = { bytes in stderr(tty ? Self.crlf(bytes) : bytes) }
        let lineIO = ShellIO(stdin: ByteChannel(contents: []), stdout: out, stderr: err)
        var line: [UInt8] = []
        if tty { io.out("$ ") }
        while let chunk = await io.stdin.read() {
            for byte in chunk {
                switch byte {
                case 0x0D, 0x0A:
                    if tty { io.out("\r\n") }
                    let text = String(decoding: line, as: UTF8.self)
                    line = []
                    _ = await shell.runScript(text, io: lineIO, state: &state)
                    if let code = state.exitRequested { return code }
                    if tty { io.out("$ ") }
                case 0x7F where tty, 0x08 where tty:
                    if !line.isEmpty {
                        line.removeLast()
                        io.out("\u{8} \u{8}")
                    }
                case 0x03 where tty:
                    line = []
                    io.out("^C\r\n$ ")
                case 0x04 where tty:
                    if line.isEmpty {
                        io.out("exit\r\n")
                        return state.lastStatus
                    }
                default:
                    line.append(byte)
                    if tty { io.stdout([byte]) }
                }
            }
        }
        if !line.isEmpty {
            _ = await shell.runScript(String(decoding: line, as: UTF8.self), io: lineIO, state: &state)
        }
        return state.exitRequested ?? state.lastStatus
    }

    static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        for b in bytes {
            if b == 0x0A { out.append(0x0D) }
            out.append(b)
        }
        return out
    }
}
