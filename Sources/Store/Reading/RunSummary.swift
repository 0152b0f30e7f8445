/// One run as `sessions` lists it: the run, how long it lasted, and its requests by outcome.
public struct RunSummary: Sendable, Hashable {
    public var run: RunRecord
    /// Its last request's receipt or response's end, whichever is later.
    public var lastActivityAt: Int64
    public var requestCount: Int
    public var outcomes: [RequestOutcome: Int]
    /// The connections that carried its requests.
    public var connectionCount: Int
    /// The clusters its requests went to, in order of first use.
    public var clusters: [String]
    /// The gateway host it was recorded on, when read from the central store.
    public var host: String?

    public init(run: RunRecord, lastActivityAt: Int64, requestCount: Int, outcomes: [RequestOutcome: Int] = [:], connectionCount: Int = 0,
                clusters: [String] = []) {
        self.run = run
        self.lastActivityAt = lastActivityAt
        self.requestCount = requestCount
        self.outcomes = outcomes
        self.connectionCount = connectionCount
        self.clusters = clusters
    }

    public var duration: Int64 { max(0, lastActivityAt - run.startedAt) }

    /// `15 allowed, 1 denied`, in the order of ``RequestOutcome``; `no requests` for none.
    public var outcomeText: String {
        let parts = RequestOutcome.allCases.compactMap { outcome in outcomes[outcome].map { "\($0) \(outcome.rawValue)" } }
        return parts.isEmpty ? "no requests" : parts.joined(separator: ", ")
    }
}
