/// Where a sandbox command reads and writes. Writers must not block; they enqueue.
public struct ShellIO: Sendable {
    public var stdin: ByteChannel
    public var stdout: @Sendable ([UInt8]) -> Void
    public var stderr: @Sendable ([UInt8]) -> Void

    public init(stdin: ByteChannel, stdout: @escaping @Sendable ([UInt8]) -> Void, stderr: @escaping @Sendable ([UInt8]) -> Void) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    func out(_ text: String) { stdout(Array(text.utf8)) }
    func err(_ text: String) { stderr(Array(text.utf8)) }
}
