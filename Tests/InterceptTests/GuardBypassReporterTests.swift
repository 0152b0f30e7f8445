import Dispatch
import Glibc
import Kube
import Logging
import Synchronization
import Testing

@testable import Intercept

/// Collects every log line in memory.
final class CollectedLog: Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    private let storage = Mutex<[Line]>([])

    var lines: [Line] { storage.withLock { $0 } }
    var messages: [String] { lines.map(\.message) }

    func append(_ line: Line) { storage.withLock { $0.append(line) } }

    var logger: Logger {
        Logger(label: "portcullis.test") { _ in CollectingLogHandler(sink: self) }
    }
}

struct CollectingLogHandler: LogHandler {
    let sink: CollectedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var metadataProvider: Logger.MetadataProvider?

    func log(event: LogEvent) {
        sink.append(.init(level: event.level, message: event.message.description,
                          metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}

/// A value behind a lock that escaping closures can share.
final class LockedBox<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    init(_ value: Value) { storage = Mutex(value) }

    var value: Value { storage.withLock { $0 } }

    func update<T>(_ body: (inout Value) -> T) -> T { storage.withLock { body(&$0) } }
}

/// A monotonic clock the test moves by hand.
final class ManualClock: Sendable {
    private let nanoseconds = Atomic<UInt64>(1_000_000_000)

    var read: @Sendable () -> UInt64 { { self.nanoseconds.load(ordering: .relaxed) } }

    func advance(_ duration: Duration) {
        nanoseconds.add(duration.clampedNanoseconds, ordering: .relaxed)
    }
}

@Suite struct GuardBypassReporterTests {
    static let agent = IPAddress("198.18.0.1")!
    static let apiServer = IPAddress("198.18.0.2")!
    static let apiServerV6 = IPAddress("fd00:5043::2")!

    static func packet(_ transport: TransportProtocol = .udp, uid: UInt32? = 64991, gid: UInt32? = 64991,
                       source: IPAddress = agent, sourcePort: UInt16 = 40000, destination: IPAddress = apiServer,
                       inInterface: String? = nil, seconds: Int64 = 1_800_000_000) -> DroppedPacket {
        let flow = Flow(transport: transport, source: source, sourcePort: sourcePort, destination: destination,
                        destinationPort: 6443)
        return DroppedPacket(time: KubeTime(seconds: seconds), flow: flow, uid: uid, gid: gid, inInterface: inInterface,
                             outInterface: "pv1a2")
    }

    static func attempts(_ recorder: InMemoryInterceptRecorder) -> [BypassAttempt] {
        recorder.events.compactMap { event in
            if case .bypassAttempt(let attempt) = event { return attempt }
            return nil
        }
    }

    // MARK: Exact counts, bounded log

    @Test func aConcurrentBurstIsCountedExactlyAndLogsAFewLines() {
        let log = CollectedLog()
        let recorder = InMemoryInterceptRecorder()
        // A clock that stands still and a summary timer that never fires in the test: the burst's
        // log lines do not depend on how fast the machine runs it (under the thread sanitizer it
        // took 12 s, long enough for refills and a timed summary).
        let reporter = BypassReporter(recorder: recorder, logger: log.logger,
                                      configuration: BypassReporterConfiguration(summaryInterval: .seconds(3600)),
                                      clock: { 1_000_000_000 })
        let kinds: [DroppedPacket] = [
            Self.packet(.udp),
            Self.packet(.tcp),
            Self.packet(.udp, uid: nil, gid: nil, source: IPAddress("10.0.0.9")!, inInterface: "docker0"),
            Self.packet(.tcp, uid: 64992, gid: 64990, source: IPAddress("fd00:5043::1")!, destination: Self.apiServerV6),
        ]
        let threads = 8
        let perThread = 12_500
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                var packet = kinds[(thread + index) % kinds.count]
                packet.flow?.sourcePort = UInt16(truncatingIfNeeded: 1024 + index)
                reporter.report(packet)
            }
        }
        reporter.flush()

        let snapshot = reporter.snapshot
        #expect(reporter.totalDropped == 100_000)
        #expect(snapshot.untracked == 0 && snapshot.unparsed == 0)
        let expected: [BypassKey: Int] = [
            BypassKey(origin: .uid(64991), destination: Self.apiServer, transport: .udp): 25_000,
            BypassKey(origin: .uid(64991), destination: Self.apiServer, transport: .tcp): 25_000,
            BypassKey(origin: .source(IPAddress("10.0.0.9")!), destination: Self.apiServer, transport: .udp): 25_000,
            BypassKey(origin: .uid(64992), destination: Self.apiServerV6, transport: .tcp): 25_000,
        ]
        #expect(reporter.counts == expected)

        // One recorded attempt per key: the burst is well inside one record window.
        let attempts = Self.attempts(recorder)
        #expect(attempts.count == 4)
        #expect(Set(attempts.map { BypassKey(flow: $0.flow, uid: $0.caller.uid) }) == Set(expected.keys))
        #expect(snapshot.recorded == 4)

        // The burst of 10 and one summary line.
        let messages = log.messages
        #expect(messages.count <= 24, "\(messages.count) log lines for 100k packets")
        #expect(snapshot.loggedLines + snapshot.suppressedLines == 100_000)
        #expect(messages.filter { $0.hasPrefix("dropped bypass attempt:") }.count == snapshot.loggedLines)
        let summaries = messages.filter { $0.hasPrefix("suppressed ") }
        #expect(summaries.count == 1)
        #expect(summaries.first?.hasPrefix("suppressed \(snapshot.suppressedLines) bypass-attempt log lines (total dropped: 100000)") == true,
                "\(summaries)")
        reporter.shutdown()
    }

    @Test func theTokenBucketBoundsLinesAndSummariesCountTheRest() {
        let log = CollectedLog()
        let clock = ManualClock()
        let configuration = BypassReporterConfiguration(summaryInterval: .seconds(3600), logLinesPerSecond: 1, logBurst: 3)
        let reporter = BypassReporter(recorder: nil, logger: log.logger, configuration: configuration, clock: clock.read)

        for port in 0..<10 { reporter.report(Self.packet(sourcePort: UInt16(40000 + port))) }
        reporter.flush()
        #expect(log.messages.count == 4, "\(log.messages)")
        #expect(log.messages.prefix(3).allSatisfy { $0.hasPrefix("dropped bypass attempt:") })
        #expect(log.messages.last?.hasPrefix("suppressed 7 bypass-attempt log lines (total dropped: 10)") == true,
                "\(log.messages)")
        #expect(log.messages.last?.contains("uid 64991 -> 198.18.0.2 udp: 10") == true, "\(log.messages)")

        // Nothing suppressed since: a flush writes nothing.
        reporter.flush()
        #expect(log.messages.count == 4)

        // Two seconds refill two tokens.
        clock.advance(.seconds(2))
        for port in 0..<5 { reporter.report(Self.packet(.tcp, sourcePort: UInt16(41000 + port))) }
        reporter.flush()
        #expect(log.messages.count == 7, "\(log.messages)")
        #expect(log.messages.last?.hasPrefix("suppressed 3 bypass-attempt log lines (total dropped: 15)") == true,
                "\(log.messages)")
        #expect(log.messages.last?.contains("uid 64991 -> 198.18.0.2 tcp: 5") == true)
        #expect(log.messages.last?.contains("udp") == false, "the summary names only keys since the last one")
        reporter.shutdown()
    }

    @Test func theSummaryTimerWritesWithoutAFlush() async throws {
        let log = CollectedLog()
        let configuration = BypassReporterConfiguration(summaryInterval: .milliseconds(50), logLinesPerSecond: 0, logBurst: 1)
        let reporter = BypassReporter(recorder: nil, logger: log.logger, configuration: configuration)
        for _ in 0..<5 { reporter.report(Self.packet()) }
        let deadline = ContinuousClock.now + .seconds(10)
        while !log.messages.contains(where: { $0.hasPrefix("suppressed 4 ") }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(log.messages.contains { $0.hasPrefix("suppressed 4 bypass-attempt log lines (total dropped: 5)") },
                "\(log.messages)")
        reporter.shutdown()
    }

    // MARK: What reaches the recorder

    @Test func theRecorderGetsTheFirstPacketPerKeyPerWindow() {
        let clock = ManualClock()
        let recorder = InMemoryInterceptRecorder()
        let configuration = BypassReporterConfiguration(recordWindow: .seconds(60), summaryInterval: .seconds(3600))
        let reporter = BypassReporter(recorder: recorder, logger: CollectedLog().logger, configuration: configuration,
                                      clock: clock.read)
        let a1 = Self.packet(.udp, sourcePort: 1)
        reporter.report(a1)                                   // t = 0: A opens a window
        clock.advance(.seconds(1))
        reporter.report(Self.packet(.udp, sourcePort: 2))     // A, inside the window
        let b1 = Self.packet(.tcp, sourcePort: 3)
        reporter.report(b1)                                   // t = 1: B opens its own window
        clock.advance(.seconds(58))
        reporter.report(Self.packet(.udp, sourcePort: 4))     // t = 59: A, inside
        clock.advance(.seconds(1))
        let a5 = Self.packet(.udp, sourcePort: 5)
        reporter.report(a5)                                   // t = 60: A's window is over: recorded
        clock.advance(.milliseconds(500))
        reporter.report(Self.packet(.tcp, sourcePort: 6))     // t = 60.5: B, inside its window
        reporter.flush()

        let attempts = Self.attempts(recorder)
        #expect(attempts.map(\.flow.sourcePort) == [1, 3, 5])
        #expect(attempts.first == BypassAttempt(time: a1.time, flow: a1.flow!,
                                                caller: Caller(uid: 64991, gid: 64991, sourceAddress: Self.agent),
                                                inInterface: nil, outInterface: "pv1a2"))
        #expect(reporter.totalDropped == 6)
        #expect(reporter.snapshot.recorded == 3)
        #expect(reporter.counts[BypassKey(flow: a1.flow!, uid: 64991)] == 4)
        #expect(reporter.counts[BypassKey(flow: b1.flow!, uid: 64991)] == 2)
        reporter.shutdown()
    }

    @Test func forwardedPacketsAreKeyedBySourceAndRecordTheInterface() {
        let recorder = InMemoryInterceptRecorder()
        let reporter = BypassReporter(recorder: recorder, logger: CollectedLog().logger)
        let container = IPAddress("172.17.0.5")!
        reporter.report(Self.packet(uid: nil, gid: nil, source: container, inInterface: "docker0"))
        reporter.report(Self.packet(uid: nil, gid: nil, source: container, sourcePort: 40001, inInterface: "docker0"))
        reporter.flush()
        #expect(reporter.counts == [BypassKey(origin: .source(container), destination: Self.apiServer, transport: .udp): 2])
        let attempt = Self.attempts(recorder).first
        #expect(Self.attempts(recorder).count == 1)
        #expect(attempt?.caller == Caller(sourceAddress: container, interface: "docker0"))
        #expect(attempt?.inInterface == "docker0")
        reporter.shutdown()
    }

    @Test func keysBeyondTheLimitAreCountedAsUntracked() {
        let recorder = InMemoryInterceptRecorder()
        let configuration = BypassReporterConfiguration(maximumKeys: 2)
        let reporter = BypassReporter(recorder: recorder, logger: CollectedLog().logger, configuration: configuration)
        for uid: UInt32 in [1, 2, 3, 3, 1] { reporter.report(Self.packet(uid: uid)) }
        reporter.flush()
        let snapshot = reporter.snapshot
        #expect(snapshot.total == 5)
        #expect(snapshot.untracked == 2)
        #expect(snapshot.counts.values.reduce(0, +) == 3)
        #expect(Self.attempts(recorder).compactMap(\.caller.uid) == [1, 2])
        reporter.shutdown()
    }

    @Test func unparseablePacketsAreCountedAndLoggedButNotRecorded() {
        let log = CollectedLog()
        let recorder = InMemoryInterceptRecorder()
        let reporter = BypassReporter(recorder: recorder, logger: log.logger)
        reporter.report(DroppedPacket(time: KubeTime(seconds: 0), flow: nil, uid: 5, gid: 6, outInterface: "eth0"))
        reporter.flush()
        #expect(reporter.snapshot.unparsed == 1)
        #expect(reporter.totalDropped == 1)
        #expect(reporter.counts.isEmpty)
        #expect(recorder.events.isEmpty)
        #expect(log.messages == ["dropped bypass attempt: unparseable packet from uid 5 gid 6 out eth0"])
    }

    @Test func theLogLineNamesTheFlowTheCallerAndTheInterface() {
        let log = CollectedLog()
        let reporter = BypassReporter(recorder: nil, logger: log.logger)
        reporter.report(Self.packet(.tcp, uid: 64992, gid: 64990))
        reporter.flush()
        #expect(log.messages == ["dropped bypass attempt: tcp 198.18.0.1:40000 -> 198.18.0.2:6443 from uid 64992 gid 64990 out pv1a2"])
        #expect(log.lines.first?.level == .warning)
        #expect(log.lines.first?.metadata["uid"] == "64992")
        #expect(log.lines.first?.metadata["destination_port"] == "6443")
    }

    // MARK: Enrichment

    struct CallRecord: Sendable {
        var uid: UInt32?
        var onReportingThread: Bool
    }

    @Test func theEnricherRunsOffTheReportingThreadAndNeverDelaysIt() throws {
        let recorder = InMemoryInterceptRecorder()
        let release = DispatchSemaphore(value: 0)
        let calls = LockedBox<[CallRecord]>([])
        let reportingThread = pthread_self()
        let reporter = BypassReporter(recorder: recorder, logger: CollectedLog().logger, enricher: { flow, uid in
            calls.update { $0.append(CallRecord(uid: uid, onReportingThread: pthread_equal(pthread_self(), reportingThread) != 0)) }
            release.wait()  // a slow /proc scan
            return CallerProcess(pid: 4242, executable: "/usr/bin/python3", commandLine: ["python3"])
        })

        reporter.report(Self.packet(.udp))
        reporter.report(Self.packet(.tcp))
        reporter.report(Self.packet(uid: nil, gid: nil, source: IPAddress("172.17.0.5")!, inInterface: "docker0"))
        for _ in 0..<1000 { reporter.report(Self.packet(.udp)) }
        // The enricher is still blocked, yet every report returned and was counted.
        #expect(reporter.totalDropped == 1003)
        #expect(recorder.events.isEmpty)

        release.signal()
        release.signal()
        reporter.flush()
        let attempts = Self.attempts(recorder)
        #expect(attempts.count == 3)
        #expect(attempts.filter { $0.caller.process?.pid == 4242 }.count == 2, "local attempts carry the process")
        #expect(attempts.first { $0.caller.uid == nil }?.caller.process == nil, "forwarded attempts are not enriched")
        let seen = calls.value
        #expect(seen.map(\.uid) == [64991, 64991], "called once per recorded local packet")
        #expect(seen.allSatisfy { !$0.onReportingThread }, "never on the reporting thread")
        reporter.shutdown()
    }
}
