/// What one kubectl invocation did: its exit code and both output streams.
public struct KubectlResult: Sendable, CustomStringConvertible {
    public let arguments: [String]
    public let status: ExitStatus
    public let standardOutput: String
    public let standardError: String

    /// The exit code as a shell sees it (128 + signal if killed).
    public var exitCode: Int32 { status.shellCode }

    /// Standard output split into lines.
    public var outputLines: [String] { TextLines.lines(of: standardOutput) }

    /// Standard error split into lines.
    public var errorLines: [String] { TextLines.lines(of: standardError) }

    /// Everything, for failure messages.
    public var description: String {
        "kubectl \(arguments.joined(separator: " ")) → \(status)\n--- stdout ---\n\(standardOutput)--- stderr ---\n\(standardError)"
    }
}
