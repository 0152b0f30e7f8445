/// What a child process reads on standard input.
public enum StandardInput: Sendable, Hashable {
    /// `/dev/null`: the child sees end of file at once. Never the test runner's own stdin.
    case null
    /// These bytes, then end of file. They are written from a background thread, so a large input
    /// cannot block the caller.
    case bytes([UInt8])
    /// A pipe the caller writes with ``ChildProcess/writeToStandardInput(_:)`` and closes with
    /// ``ChildProcess/closeStandardInput()``.
    case pipe

    /// The UTF-8 bytes of `text`, then end of file.
    public static func text(_ text: String) -> StandardInput { .bytes(Array(text.utf8)) }
}
