/// `sh` reading commands from stdin: with a tty it prompts, echoes what is typed, and handles
/// backspace, ^C and ^D, as a terminal in cooked mode would. (``MiniShell`` turns `\n` into
/// `\r\n` for a tty, as the pty's onlcr does.)
struct InteractiveShell {
    let shell: MiniShell

    func run(io: ShellIO, state: inout MiniShell.ShellState) async -> Int {
        let tty = shell.tty
        let lineIO = ShellIO(stdin: ByteChannel(contents: []), stdout: io.stdout, stderr: io.stderr)
        var line: [UInt8] = []
        if tty { io.out("$ ") }
        while let chunk = await io.stdin.read() {
            for byte in chunk {
                switch byte {
                case 0x0D, 0x0A:
                    if tty { io.out("\n") }
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
                    io.out("^C\n$ ")
                case 0x04 where tty:
                    if line.isEmpty {
                        io.out("exit\n")
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
}
