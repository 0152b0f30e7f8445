import Kube

/// What a request's stream held, without its bytes: per-channel counts, the first terminal size
/// and the exit status.
public struct StreamSummary: Sendable, Hashable {
    public struct ChannelTotals: Sendable, Hashable {
        public var events: Int
        public var bytes: Int64

        public init(events: Int, bytes: Int64) {
            self.events = events
            self.bytes = bytes
        }
    }

    /// Keyed by channel name.
    public var channels: [String: ChannelTotals]
    public var firstAt: Int64
    public var lastAt: Int64
    /// The first resize, if any.
    public var terminalSize: TerminalSize?
    /// The last error-channel Status, if any.
    public var exitStatus: Status?

    public init(channels: [String: ChannelTotals], firstAt: Int64, lastAt: Int64, terminalSize: TerminalSize? = nil,
                exitStatus: Status? = nil) {
        self.channels = channels
        self.firstAt = firstAt
        self.lastAt = lastAt
        self.terminalSize = terminalSize
        self.exitStatus = exitStatus
    }

    /// The remote command's exit code, when the error channel carried one.
    public var exitCode: Int? { exitStatus.flatMap(ExecResult.exitCode(from:)) }

    /// Channels in a fixed, readable order.
    public static let channelOrder = ["stdin", "stdout", "stderr", "error", "resize", "close", "watch", "log", "raw"]

    public var orderedChannels: [(name: String, totals: ChannelTotals)] {
        let known = Self.channelOrder.compactMap { name in channels[name].map { (name, $0) } }
        let other = channels.keys.filter { !Self.channelOrder.contains($0) }.sorted().compactMap { name in channels[name].map { (name, $0) } }
        return known + other
    }
}
