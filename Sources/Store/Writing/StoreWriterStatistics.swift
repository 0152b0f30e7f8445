/// The writer's counters, for metrics and tests. A snapshot; counts run from the writer's start.
public struct StoreWriterStatistics: Sendable, Hashable {
    /// Rows accepted and waiting for a commit.
    public var queueDepth = 0
    /// Rows kept in memory after their records were refused, waiting for the store.
    public var backlogDepth = 0
    /// Transactions committed.
    public var commits = 0
    /// Rows committed.
    public var rowsCommitted = 0
    /// Rows in the last committed transaction.
    public var lastBatchRows = 0
    /// How long the last commit took, from `BEGIN` to the end of `COMMIT` (durable).
    public var lastCommitLatency: Duration = .zero
    /// The longest commit so far.
    public var maxCommitLatency: Duration = .zero
    /// Transactions that failed (the store became unavailable).
    public var failedCommits = 0
    /// Records whose callers were told at once that they failed (queue full, store unavailable).
    public var refusedRecords = 0
    /// Refused records written later from the backlog.
    public var recoveredRecords = 0
    /// Refused records that could not be kept (the backlog was full, or the writer was closed).
    public var lostRecords = 0
    /// Records the database refused for themselves (a constraint); the rest of their batch commits.
    public var rejectedRecords = 0
    /// Outage rows written.
    public var outagesRecorded = 0
    /// Why the store cannot be written now; nil while it can.
    public var unavailableReason: String?

    public var isAvailable: Bool { unavailableReason == nil }

    public init() {}
}
