/// How much of a stream of dropped packets reaches the recorder and the log. The counts are exact
/// whatever these say.
public struct BypassReporterConfiguration: Sendable, Hashable {
    /// A key's first packet is recorded; its next packets are only counted until this much time has
    /// passed since the recorded one. Then the next packet is recorded and a new window opens.
    public var recordWindow: Duration
    /// How often the summary line of suppressed log lines is written (when there were any).
    public var summaryInterval: Duration
    /// The token bucket for per-packet log lines: a burst of `logBurst` lines, refilled at
    /// `logLinesPerSecond`.
    public var logLinesPerSecond: Double
    public var logBurst: Int
    /// Keys counted one by one at most; packets of further keys go to ``BypassReporter/Snapshot/untracked``
    /// (bounds memory against spoofed source addresses).
    public var maximumKeys: Int
    /// How many keys a summary line names, largest counts first.
    public var keysPerSummary: Int

    public init(recordWindow: Duration = .seconds(60), summaryInterval: Duration = .seconds(10),
                logLinesPerSecond: Double = 2, logBurst: Int = 10, maximumKeys: Int = 10_000, keysPerSummary: Int = 5) {
        self.recordWindow = recordWindow
        self.summaryInterval = summaryInterval
        self.logLinesPerSecond = logLinesPerSecond
        self.logBurst = logBurst
        self.maximumKeys = maximumKeys
        self.keysPerSummary = keysPerSummary
    }
}
