import Dispatch
import Kube
import Logging
import Synchronization

/// Counts, records and logs the packets the guard dropped, without letting a flood reach the
/// recorder or the log.
///
/// What goes where (``BypassReporterConfiguration`` has the numbers):
/// - **Counts** (``snapshot``, ``counts``, ``totalDropped``): every packet, exactly, synchronously in
///   ``report(_:)``. Per ``BypassKey`` (uid or source address, destination address, protocol) for up
///   to `maximumKeys` keys; packets of further keys count as `untracked`, packets whose addresses could
///   not be read as `unparsed`. `total` always counts all of them.
/// - **Recorder**: `.bypassAttempt` for the first packet of a key, and after that for the first packet
///   of the key once `recordWindow` has passed since the last recorded one. Nothing else: not the
///   packets in between, not untracked or unparsed ones. Local packets are enriched with the process
///   first, when an enricher is given.
/// - **Log** (warning level): one line per packet while the token bucket has a token (`logBurst`, then
///   `logLinesPerSecond`). Packets without a token are not logged one by one; every `summaryInterval`
///   (and on ``flush()``/``shutdown()``), if any were, one line
///   `suppressed K bypass-attempt log lines (total dropped: T); ...` names the busiest keys since the
///   last summary. So a flood writes at most `logBurst + logLinesPerSecond·t + t/summaryInterval` lines.
///
/// Threading: ``report(_:)`` takes one lock for a few dictionary operations and never waits for the
/// recorder, the log or the enricher: those run on the reporter's own serial queue, in report order.
/// The queue's backlog is bounded by the rules above (recorded packets plus logged packets).
public final class BypassReporter: Sendable {
    /// Finds the local process behind a flow (uid when the kernel gave one). Called on the
    /// reporter's queue, only for packets that are recorded and local.
    public typealias Enricher = @Sendable (Flow, UInt32?) -> CallerProcess?

    /// The counts at one moment.
    public struct Snapshot: Sendable, Hashable {
        /// Every packet reported.
        public var total = 0
        /// Per key, for up to `maximumKeys` keys.
        public var counts: [BypassKey: Int] = [:]
        /// Packets of keys beyond `maximumKeys`.
        public var untracked = 0
        /// Packets without readable addresses.
        public var unparsed = 0
        /// Packets handed to the recorder.
        public var recorded = 0
        /// Per-packet log lines written, and left out for lack of a token.
        public var loggedLines = 0
        public var suppressedLines = 0
    }

    /// Per key, besides its count in the snapshot.
    private struct KeyState {
        var recordedAt: UInt64?
        var sinceSummary = 0
    }

    private struct State: ~Copyable {
        var snapshot = Snapshot()
        var keys: [BypassKey: KeyState] = [:]
        var bucket: LogTokenBucket
        /// Keys with packets since the last summary, in first-seen order.
        var activeKeys: [BypassKey] = []
        var suppressedSinceSummary = 0
        var untrackedSinceSummary = 0
        var unparsedSinceSummary = 0
    }

    /// What the serial queue does for one packet.
    private struct Work: Sendable {
        let packet: DroppedPacket
        let record: Bool
        let log: Bool
    }

    private let configuration: BypassReporterConfiguration
    private let recorder: (any InterceptRecorder)?
    private let logger: Logger
    private let enricher: Enricher?
    private let clock: @Sendable () -> UInt64
    private let state: Mutex<State>
    private let queue = DispatchQueue(label: "portcullis.bypass-reporter")
    private let timer: SummaryTimer?

    /// - Parameters:
    ///   - recorder: receives the recorded subset; `nil` records nothing.
    ///   - clock: monotonic nanoseconds, for windows and the log rate (tests pass their own).
    public init(recorder: (any InterceptRecorder)?, logger: Logger,
                configuration: BypassReporterConfiguration = BypassReporterConfiguration(),
                enricher: Enricher? = nil, clock: @escaping @Sendable () -> UInt64 = GuardClock.nanoseconds) {
        self.configuration = configuration
        self.recorder = recorder
        self.logger = logger
        self.enricher = enricher
        self.clock = clock
        self.state = Mutex(State(bucket: LogTokenBucket(capacity: configuration.logBurst,
                                                        perSecond: configuration.logLinesPerSecond)))
        let interval = configuration.summaryInterval.clampedNanoseconds
        self.timer = interval > 0 ? SummaryTimer(queue: queue, intervalNanoseconds: interval) : nil
        timer?.start { [weak self] in self?.summarize() }
    }

    deinit {
        timer?.cancel()
    }

    // MARK: Reporting

    /// Counts `packet` and schedules what the rules allow. Never blocks on the recorder, the log or
    /// the enricher; safe from any thread.
    public func report(_ packet: DroppedPacket) {
        let now = clock()
        state.withLock { state in
            let record = count(packet, now: now, in: &state)
            let log = state.bucket.take(now: now)
            if log {
                state.snapshot.loggedLines += 1
            } else {
                state.snapshot.suppressedLines += 1
                state.suppressedSinceSummary += 1
            }
            if record { state.snapshot.recorded += 1 }
            guard record || log else { return }
            // Enqueued under the lock, so the queue sees packets in the order they were counted.
            let work = Work(packet: packet, record: record, log: log)
            queue.async { self.perform(work) }
        }
    }

    /// Counts the packet; returns whether it opens a record window.
    private func count(_ packet: DroppedPacket, now: UInt64, in state: inout State) -> Bool {
        state.snapshot.total += 1
        guard let flow = packet.flow else {
            state.snapshot.unparsed += 1
            state.unparsedSinceSummary += 1
            return false
        }
        let key = BypassKey(flow: flow, uid: packet.uid)
        guard state.keys[key] != nil || state.keys.count < configuration.maximumKeys else {
            state.snapshot.untracked += 1
            state.untrackedSinceSummary += 1
            return false
        }
        state.snapshot.counts[key, default: 0] += 1
        var keyState = state.keys[key] ?? KeyState()
        if keyState.sinceSummary == 0 { state.activeKeys.append(key) }
        keyState.sinceSummary += 1
        let window = configuration.recordWindow.clampedNanoseconds
        // A clock read that lost the race for the lock may be a little older than `recordedAt`: inside.
        let opensWindow = keyState.recordedAt.map { now >= $0 && now - $0 >= window } ?? true
        if opensWindow { keyState.recordedAt = now }
        state.keys[key] = keyState
        return opensWindow
    }

    // MARK: The serial queue

    private func perform(_ work: Work) {
        let packet = work.packet
        var process: CallerProcess?
        if work.record, packet.isLocal, let enricher, let flow = packet.flow {
            process = enricher(flow, packet.uid)
        }
        if work.record, let recorder, let attempt = Self.attempt(packet, process: process) {
            recorder.record(.bypassAttempt(attempt))
        }
        if work.log {
            logger.warning("\(BypassLogLine.text(packet, process: process))",
                           metadata: BypassLogLine.metadata(packet, process: process))
        }
    }

    static func attempt(_ packet: DroppedPacket, process: CallerProcess?) -> BypassAttempt? {
        guard let flow = packet.flow else { return nil }
        let caller = Caller(uid: packet.uid, gid: packet.gid, process: process, sourceAddress: flow.source,
                            interface: packet.inInterface)
        return BypassAttempt(time: packet.time, flow: flow, caller: caller, inInterface: packet.inInterface,
                             outInterface: packet.outInterface)
    }

    // MARK: Summaries

    /// Waits until everything reported so far has reached the recorder and the log, then writes the
    /// summary line if any lines were suppressed since the last one. Not from the enricher or recorder.
    public func flush() {
        queue.sync {}
        queue.sync { summarize() }
    }

    /// Stops the summary timer and flushes. Reports after this are still counted and handled.
    public func shutdown() {
        timer?.cancel()
        flush()
    }

    /// On the queue: writes the summary line if lines were suppressed, and starts a new summary period.
    private func summarize() {
        let limit = configuration.keysPerSummary
        let line: String? = state.withLock { state in
            defer {
                for key in state.activeKeys { state.keys[key]?.sinceSummary = 0 }
                state.activeKeys.removeAll(keepingCapacity: true)
                state.suppressedSinceSummary = 0
                state.untrackedSinceSummary = 0
                state.unparsedSinceSummary = 0
            }
            guard state.suppressedSinceSummary > 0 else { return nil }
            let busiest = state.activeKeys.map { ($0, state.keys[$0]?.sinceSummary ?? 0) }
                .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            var parts = busiest.prefix(limit).map { "\($0.0): \($0.1)" }
            if busiest.count > limit { parts.append("\(busiest.count - limit) more keys") }
            if state.untrackedSinceSummary > 0 { parts.append("untracked keys: \(state.untrackedSinceSummary)") }
            if state.unparsedSinceSummary > 0 { parts.append("unparseable: \(state.unparsedSinceSummary)") }
            return "suppressed \(state.suppressedSinceSummary) bypass-attempt log lines (total dropped: \(state.snapshot.total)); "
                + "dropped since the last summary by key: " + parts.joined(separator: ", ")
        }
        if let line { logger.warning("\(line)") }
    }

    // MARK: Counts

    /// All counts now.
    public var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// Packets per key (exact for up to `maximumKeys` keys).
    public var counts: [BypassKey: Int] { state.withLock { $0.snapshot.counts } }

    /// Every packet reported.
    public var totalDropped: Int { state.withLock { $0.snapshot.total } }
}
