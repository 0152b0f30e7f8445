/// One run for `show`: its summary, its requests in commit order across its connections (with
/// kubectl's per-invocation headers, for folding), and those connections.
public struct RunTimeline: Sendable, Hashable {
    public var summary: RunSummary
    public var requests: [RecordedRequest]
    public var connections: [ConnectionRecord]

    public init(summary: RunSummary, requests: [RecordedRequest], connections: [ConnectionRecord]) {
        self.summary = summary
        self.requests = requests
        self.connections = connections
    }

    public var run: RunRecord { summary.run }

    /// The distinct User-Agents of its requests, in order of first use (kubectl's version shows here).
    public var userAgents: [String] {
        var seen: [String] = []
        for request in requests where !request.userAgent.isEmpty && !seen.contains(request.userAgent) { seen.append(request.userAgent) }
        return seen
    }

    /// Its requests folded into commands (``CommandFolding``).
    public var commands: [FoldedCommand] { CommandFolding.fold(requests) }
}
