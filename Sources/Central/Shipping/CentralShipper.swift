import Kube
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Store
import Synchronization

/// Copies every committed row of the local store to PostgreSQL, in `seq` order, unchanged.
///
/// Invariants:
/// - A shipment is one PostgreSQL transaction holding consecutive rows (the next ones after what
///   PostgreSQL holds for this host) and a `shipments` row naming its range and last hash; so
///   PostgreSQL holds a prefix of the local chain, never a gap.
/// - Inserts are idempotent on (`host`, `seq`): a shipment repeated after a crash or a timeout adds
///   nothing. A row PostgreSQL already holds with a *different* hash stops shipping
///   (``CentralStoreError/conflict(store:host:message:)``): another gateway uses this host name, or
///   one of the two records was rewritten.
/// - Local rows are only read (off the event loops, on the thread pool); nothing is ever removed
///   here. `central_progress` in the local store says how far shipping got, so `prune` keeps the rest.
/// - Only committed rows are read: never past ``Store/CommittedHead``.
/// - Every failure is kept for status and metrics; shipping retries with a growing pause (at most
///   ``maxBackoff``) until the store is back.
public final class CentralShipper: Sendable {
    public let configuration: CentralConfiguration
    let client: PostgresClient
    let database: StoreDatabase
    let committed: CommittedHead
    let logger: Logger
    let waiters: ShipmentWaiters
    private let wake = WakeSignal()
    private let state: Mutex<ShipperState>

    static let maxBackoff: Duration = .seconds(5)
    /// How often `central_progress` is written, at most.
    static let progressInterval: Int64 = 1_000_000

    struct ShipperState {
        /// What PostgreSQL holds for this host; nil until it was asked (again, after a failure:
        /// a shipment that timed out may have committed after all).
        var shipped: ChainHead?
        /// The last head PostgreSQL was known to hold, for status while it cannot be asked.
        var known: ChainHead?
        var reachable = false
        var lastError: String?
        var lastErrorAt: KubeTime?
        var lastShippedAt: KubeTime?
        var rowsShipped = 0
        var shipments = 0
        var errors = 0
        var progressWrittenAt: Int64 = 0
    }

    public init(configuration: CentralConfiguration, client: PostgresClient, database: StoreDatabase, committed: CommittedHead,
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.database = database
        self.committed = committed
        self.logger = logger
        self.state = Mutex(ShipperState())
        self.waiters = ShipmentWaiters(shipped: 0)
        let wake = self.wake
        committed.observe { _ in wake.notify() }
    }

    var store: String { configuration.endpointDescription }
    var host: String { configuration.hostName }

    // MARK: - Running

    /// Ships until the task is cancelled.
    public func run() async {
        var backoff = Duration.milliseconds(250)
        let maxBackoff = configuration.mode == .required ? Duration.seconds(1) : Self.maxBackoff
        while !Task.isCancelled {
            do {
                let shipped = try await shippedHead()
                if shipped.seq < committed.head.seq {
                    try await shipNext(after: shipped)
                    backoff = .milliseconds(250)
                    continue
                }
                await wake.wait(timeout: .seconds(1))
            } catch {
                let failure = CentralStoreError.from(error, store: store, doing: "shipping")
                noteFailure(failure)
                if case .conflict = failure { backoff = .seconds(30) }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maxBackoff)
            }
        }
        waiters.close(.closed(store: store))
    }

    /// Waits until every row committed so far is in PostgreSQL, or `timeout` passes; returns how
    /// many rows are still only local. Call after the local writer has closed, while ``run()`` runs.
    public func drain(timeout: Duration) async -> Int64 {
        let target = committed.head.seq
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let shipped = state.withLock({ $0.shipped }), shipped.seq >= target { return 0 }
            wake.notify()
            try? await Task.sleep(for: .milliseconds(20))
        }
        let shipped = state.withLock { $0.shipped?.seq } ?? 0
        await writeProgress(force: true)
        return max(0, target - shipped)
    }

    /// A future that succeeds once every row up to `seq` is in PostgreSQL; fails at once while the
    /// store cannot be reached, and after `central.requiredTimeout`.
    public func waitShipped(through seq: Int64, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        wake.notify()
        return waiters.wait(through: seq, on: eventLoop, timeout: configuration.requiredTimeout,
                            timedOut: .timedOut(store: store, doing: "committing the request's record", after: configuration.requiredTimeout))
    }

    // MARK: - Status

    /// Reads the local store for the oldest unshipped row's time: not on an event loop.
    public func status() -> CentralShippingStatus {
        let s = state.withLock { $0 }
        let head = committed.head.seq
        let shipped = (s.shipped ?? s.known)?.seq ?? 0
        var oldest: KubeTime?
        if head > shipped, let row = try? ChainSlice.read(database, after: shipped, through: head, maxRows: 1, maxBytes: 1).first,
           let index = row.table.index(of: row.table.timeColumn), let micros = row.values[index].integerValue {
            oldest = KubeTime(microseconds: micros)
        }
        return CentralShippingStatus(hostName: host, mode: configuration.mode, store: store, shippedSeq: shipped, committedSeq: head,
                                     oldestUnshippedAt: oldest, reachable: s.reachable, lastError: s.lastError, lastErrorAt: s.lastErrorAt,
                                     lastShippedAt: s.lastShippedAt, rowsShipped: s.rowsShipped, shipments: s.shipments, errors: s.errors)
    }

    // MARK: - Shipping

    /// What PostgreSQL holds for this host, asked once per connection trouble (a shipment that
    /// timed out may have committed after all).
    private func shippedHead() async throws -> ChainHead {
        if let shipped = state.withLock({ $0.shipped }) { return shipped }
        try await CentralMigrator.requireCurrent(client, store: store, logger: logger)
        let remote = try await CentralHead.shipped(client, host: host, store: store, logger: logger)
        let head = try await onThreadPool { [database, committed, host, store] in
            try CentralHead.resume(from: remote, database: database, committed: committed.head, host: host, store: store)
        }
        state.withLock {
            $0.shipped = head
            $0.known = head
            $0.reachable = true
        }
        waiters.shipped(through: head.seq)
        return head
    }

    private func shipNext(after shipped: ChainHead) async throws {
        let target = committed.head.seq
        let rows = try await onThreadPool { [database, configuration] in
            try ChainSlice.read(database, after: shipped.seq, through: target, maxRows: configuration.batchRows,
                                maxBytes: configuration.batchBytes)
        }
        guard let first = rows.first, let last = rows.last else {
            // Rows up to the committed head are gone locally (deleted by hand): nothing to ship.
            logger.error("local rows are missing; the central store will show the gap",
                         metadata: ["after": "\(shipped.seq)", "through": "\(target)"])
            advance(to: committed.head, rows: 0)
            return
        }
        if first.seq != shipped.seq + 1 {
            logger.error("local rows are missing before the next shipment; the central store will show the gap",
                         metadata: ["missing": "\(shipped.seq + 1)...\(first.seq - 1)"])
        }
        let statements = try ShipmentStatement.statements(for: rows, host: host, store: store)
        let started = ContinuousClock.now
        try await withTimeouts(doing: "a shipment of \(rows.count) rows") { [client, host, store, logger] leased in
            try await client.withTransaction(logger: logger) { connection in
                leased.set()
                for statement in statements {
                    try await CentralShipment.insert(statement, connection: connection, host: host, store: store, logger: logger)
                }
                try await connection.query("""
                    INSERT INTO portcullis.shipments (host, first_seq, last_seq, last_hash, row_count)
                    VALUES (\(host), \(first.seq), \(last.seq), \(ByteBuffer(bytes: last.hash)), \(rows.count))
                    ON CONFLICT (host, last_seq) DO NOTHING
                    """, logger: logger)
            }
        }
        CentralMetrics.shipment(rows: rows.count, duration: ContinuousClock.now - started)
        advance(to: ChainHead(seq: last.seq, hash: last.hash), rows: rows.count)
        await writeProgress(force: false)
    }

    private func advance(to head: ChainHead, rows: Int) {
        state.withLock { state in
            state.shipped = head
            state.known = head
            state.reachable = true
            state.lastShippedAt = StoreClock.now()
            state.rowsShipped += rows
            state.shipments += 1
        }
        waiters.shipped(through: head.seq)
    }

    private func noteFailure(_ failure: CentralStoreError) {
        let first = state.withLock { state -> Bool in
            let first = state.reachable || state.lastError != failure.description
            state.shipped = nil
            state.reachable = false
            state.lastError = failure.description
            state.lastErrorAt = StoreClock.now()
            state.errors += 1
            return first
        }
        CentralMetrics.error()
        if first { logger.error("shipping to the central store failed; rows wait in the local store", metadata: ["error": "\(failure)"]) }
        waiters.failed(failure)
    }

    /// Records in the local store how far PostgreSQL holds the chain (at most once a second).
    private func writeProgress(force: Bool) async {
        let now = StoreClock.now().microseconds
        guard let shipped = state.withLock({ state -> ChainHead? in
            guard force || now - state.progressWrittenAt >= Self.progressInterval else { return nil }
            state.progressWrittenAt = now
            return state.shipped
        }), shipped.seq > 0 else { return }
        do {
            try await onThreadPool { [database, host] in
                try ShippingProgress.record(database, host: host, head: shipped, at: now)
            }
        } catch {
            logger.warning("cannot note the shipping progress in the local store", metadata: ["error": "\(error)"])
        }
    }

    private func onThreadPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// Runs `body`, giving up when it has no connection after ``CentralConnector/leaseTimeout(_:)``
    /// (the store is unreachable: say so soon, for required mode's sake) or has not finished after
    /// `central.queryTimeout`. The body marks when it holds a connection. It is not awaited after
    /// giving up: a shipment that still commits later is harmless, because the next one starts from
    /// what PostgreSQL holds.
    private func withTimeouts(doing: String, _ body: @escaping @Sendable (LeaseMark) async throws -> Void) async throws {
        let store = self.store
        let outcome = TimeoutRace()
        let leased = LeaseMark()
        let lease = CentralConnector.leaseTimeout(configuration), query = configuration.queryTimeout
        let work = Task { do { try await body(leased); outcome.finish(nil) } catch { outcome.finish(error) } }
        let leaseTimer = Task {
            try? await Task.sleep(for: lease)
            if !Task.isCancelled, !leased.isSet {
                outcome.finish(CentralStoreError.unreachable(store: store, reason: "no connection within \(lease)"))
            }
        }
        let queryTimer = Task {
            try? await Task.sleep(for: query)
            if !Task.isCancelled { outcome.finish(CentralStoreError.timedOut(store: store, doing: doing, after: query)) }
        }
        let error = await outcome.result()
        leaseTimer.cancel()
        queryTimer.cancel()
        if let error {
            if let failure = error as? CentralStoreError, failure.isTransient { work.cancel() }
            throw error
        }
    }
}
