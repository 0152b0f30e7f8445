/// Everything known about a child process at one moment: its output so far and whether it has ended.
public struct ChildSnapshot: Sendable {
    public var standardOutput: [UInt8] = []
    public var standardError: [UInt8] = []
    public var standardOutputClosed = false
    public var standardErrorClosed = false
    public var exitStatus: ExitStatus?

    /// Both output pipes reached end of file: no more output can arrive.
    public var outputComplete: Bool { standardOutputClosed && standardErrorClosed }

    /// The process has exited and all of its output has been read.
    public var finished: Bool { exitStatus != nil && outputComplete }

    /// The complete lines of `channel` so far (a half-written last line only once the stream closed).
    public func lines(in channel: OutputChannel) -> [String] {
        switch channel {
        case .standardOutput:
            TextLines.lines(of: standardOutput, includeUnterminated: standardOutputClosed)
        case .standardError:
            TextLines.lines(of: standardError, includeUnterminated: standardErrorClosed)
        case .either:
            lines(in: .standardOutput) + lines(in: .standardError)
        }
    }

    /// Both streams as text, for error messages.
    public var report: String {
        let out = String(decoding: standardOutput, as: UTF8.self)
        let err = String(decoding: standardError, as: UTF8.self)
        return "--- stdout (\(standardOutput.count) bytes) ---\n\(out)\n--- stderr (\(standardError.count) bytes) ---\n\(err)"
    }
}
