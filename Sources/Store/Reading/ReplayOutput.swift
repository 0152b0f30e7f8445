/// Where a replay goes. Narrative lines describe requests and responses; stream bytes are written
/// exactly as the remote command wrote them, to the stream it wrote them to.
public protocol ReplayOutput: AnyObject {
    /// One line of narrative, without its newline.
    func narrate(_ line: String)
    /// Bytes a remote command wrote, unchanged.
    func write(_ bytes: [UInt8], to stream: ReplayStream)
}

public enum ReplayStream: Sendable, Hashable {
    case stdout, stderr
}

/// Collects a replay in memory: the narrative and stdout interleaved as a terminal shows them, and
/// the remote command's stdout and stderr bytes on their own.
public final class ReplayCapture: ReplayOutput {
    /// Narrative lines (newline-terminated) and stdout bytes, in order.
    public private(set) var terminal: [UInt8] = []
    public private(set) var narrative: [String] = []
    public private(set) var stdout: [UInt8] = []
    public private(set) var stderr: [UInt8] = []

    public init() {}

    public func narrate(_ line: String) {
        narrative.append(line)
        terminal += Array((line + "\n").utf8)
    }

    public func write(_ bytes: [UInt8], to stream: ReplayStream) {
        switch stream {
        case .stdout:
            stdout += bytes
            terminal += bytes
        case .stderr:
            stderr += bytes
        }
    }
}
