import CoreMetrics
import Foundation
import Kube
import Logging
import NIOCore

/// The writer's shared state: pending records (accepted and kept, in append order), whether the
/// store can be written, the open outage, and the counters. Every access holds `condition`.
///
/// Invariants:
/// - `fifo` holds records in append order; kept records (refused when offered) sit among accepted
///   ones in that order, so the backlog is written in the order things happened.
/// - `acceptedRows` counts rows of accepted records in `fifo` (bounded by the queue capacity);
///   `keptRows`/`keptBytes` those of kept records (bounded by the backlog).
/// - While the store is unavailable no record is accepted, and none waits: records already queued
///   are turned into kept ones (their callers told) as soon as the failure is seen.
final class WriterQueue: @unchecked Sendable {
    private enum Availability {
        case available
        case unavailable(reason: String)
    }

    private let condition = NSCondition()
    /// `portcullis_store_commit_duration_seconds`: one observation per batch committed.
    private let commitTimer = CoreMetrics.Timer(label: "portcullis_store_commit_duration_seconds")
    private let configuration: StoreWriterConfiguration
    private let path: String
    private let logger: Logger

    private var fifo = CircularBuffer<WriterEntry>()
    private var acceptedRows = 0
    private var keptRows = 0
    private var keptBytes = 0
    private var availability = Availability.available
    private var retryAt = Date.distantPast
    /// Records refused since the last outage row was written.
    private var incident: Incident?
    private var inFlightKeys: Set<String> = []
    private var deferredAmendments: [String: [@Sendable (inout StoreRow) -> Void]] = [:]
    private var stats = StoreWriterStatistics()
    private var stopping = false
    private var stopped = false

    init(configuration: StoreWriterConfiguration, path: String, logger: Logger) {
        self.configuration = configuration
        self.path = path
        self.logger = logger
    }

    private var retryInterval: TimeInterval { configuration.retryInterval.seconds }

    // MARK: - Callers

    func submit(_ entry: WriterEntry) {
        condition.lock()
        if stopping {
            condition.unlock()
            entry.completion?.complete(.failure(.closed(path: path)))
            return
        }
        let refusal: (cause: String, error: (Bool) -> StoreWriteError)
        switch availability {
        case .available where acceptedRows == 0 || acceptedRows + entry.rows.count <= configuration.queueCapacity:
            let wasEmpty = fifo.isEmpty
            fifo.append(entry)
            acceptedRows += entry.rows.count
            if wasEmpty || acceptedRows + keptRows >= configuration.maxBatchRows { condition.signal() }
            condition.unlock()
            return
        case .available:
            let capacity = configuration.queueCapacity
            refusal = ("the write queue was full (\(capacity) records waiting)", { .queueFull(capacity: capacity, kept: $0) })
        case .unavailable(let reason):
            let path = self.path
            refusal = (reason, { .unavailable(path: path, reason: reason, kept: $0) })
        }
        noteRefusal(cause: refusal.cause)
        var kept = entry
        kept.completion = nil
        let isKept = keep(kept, atFront: false)
        condition.unlock()
        entry.completion?.complete(.failure(refusal.error(isKept)))
    }

    func amend(key: String, _ transform: @escaping @Sendable (inout StoreRow) -> Void) -> StoreWriter.AmendOutcome {
        condition.lock()
        defer { condition.unlock() }
        var index = fifo.endIndex
        while index != fifo.startIndex {
            index = fifo.index(before: index)
            guard fifo[index].key == key else { continue }
            for row in fifo[index].rows.indices { transform(&fifo[index].rows[row]) }
            return .amended
        }
        if inFlightKeys.contains(key) {
            deferredAmendments[key, default: []].append(transform)
            return .deferred
        }
        return .notPending
    }

    var statistics: StoreWriterStatistics {
        condition.lock()
        defer { condition.unlock() }
        var snapshot = stats
        snapshot.queueDepth = acceptedRows
        snapshot.backlogDepth = keptRows
        return snapshot
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    // MARK: - The writer thread

    /// Blocks until there is something to commit; nil when the writer should stop.
    func nextWork() -> WriterWork? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let now = Date()
            switch availability {
            case .unavailable:
                if stopping {
                    if now >= retryAt { return take(all: true) }
                    dropEverything()
                    return nil
                }
                if now >= retryAt { return take(all: true) }
                _ = condition.wait(until: retryAt)
            case .available:
                if let incident, now.timeIntervalSince(incident.lastRefusal) >= retryInterval || stopping {
                    return take(all: true)
                }
                if !fifo.isEmpty {
                    gatherBatch()
                    return take(all: stopping)
                }
                if stopping { return nil }
                if let incident {
                    _ = condition.wait(until: incident.lastRefusal.addingTimeInterval(retryInterval))
                } else {
                    condition.wait()
                }
            }
        }
    }

    /// The group-commit window: wait a little for more rows unless a batch is already full.
    private func gatherBatch() {
        let delay = configuration.batchDelay.seconds
        guard delay > 0 else { return }
        let deadline = Date().addingTimeInterval(delay)
        while !stopping, acceptedRows + keptRows < configuration.maxBatchRows, Date() < deadline {
            _ = condition.wait(until: deadline)
        }
    }

    /// Takes the next batch off the queue. With `all`, everything pending and the open outage
    /// (its counts then final), so the outage row and the backlog commit together.
    private func take(all: Bool) -> WriterWork {
        var work = WriterWork(entries: [], incident: nil)
        var rows = 0
        while let first = fifo.first, all || rows == 0 || rows + first.rows.count <= configuration.maxBatchRows {
            let entry = fifo.removeFirst()
            rows += entry.rows.count
            if entry.kept {
                keptRows -= entry.rows.count
                keptBytes -= entry.size
            } else {
                acceptedRows -= entry.rows.count
            }
            if let key = entry.key { inFlightKeys.insert(key) }
            work.entries.append(entry)
        }
        if all, var closing = incident {
            closing.recovered += work.entries.count { $0.kept }
            work.incident = closing
            incident = nil
        }
        return work
    }

    /// Applies a commit's outcome; completes the callers outside the lock.
    func finish(_ work: WriterWork, _ result: CommitResult) {
        condition.lock()
        inFlightKeys.removeAll()
        var completions: [(WriterCompletion, Result<Void, StoreWriteError>)] = []
        switch result {
        case .committed(_, let rejected, let latency):
            if case .unavailable = availability {
                logger.notice("the store takes writes again", metadata: ["path": "\(path)"])
            }
            availability = .available
            stats.unavailableReason = nil
            stats.commits += 1
            stats.lastBatchRows = work.rowCount
            stats.rowsCommitted += work.rowCount
            stats.lastCommitLatency = latency
            commitTimer.recordNanoseconds(latency.components.seconds * 1_000_000_000 + latency.components.attoseconds / 1_000_000_000)
            stats.maxCommitLatency = max(stats.maxCommitLatency, latency)
            if work.incident != nil { stats.outagesRecorded += 1 }
            for (index, entry) in work.entries.enumerated() {
                let table = entry.rows.first?.table.name ?? "empty"
                if let reason = rejected[index] {
                    stats.rejectedRecords += 1
                    logger.error("the store refused a \(table) record", metadata: ["reason": "\(reason)"])
                    if let completion = entry.completion { completions.append((completion, .failure(.rejected(table: table, reason: reason)))) }
                    continue
                }
                if entry.kept {
                    stats.recoveredRecords += 1
                    if work.incident == nil { incident?.recovered += 1 }
                }
                if let completion = entry.completion { completions.append((completion, .success(()))) }
            }
            for key in work.entries.compactMap(\.key) where deferredAmendments.removeValue(forKey: key) != nil {
                logger.warning("a change to a record came too late: the record was already committed", metadata: ["record": "\(key)"])
            }
        case .failed(let reason):
            stats.failedCommits += 1
            if case .available = availability {
                logger.error("the store cannot be written; refusing records until it can", metadata: ["path": "\(path)", "reason": "\(reason)"])
            }
            availability = .unavailable(reason: reason)
            stats.unavailableReason = reason
            retryAt = Date().addingTimeInterval(retryInterval)
            var reopened = work.incident ?? Incident(began: StoreClock.now(), cause: reason)
            if work.incident != nil { reopened.recovered -= work.entries.count { $0.kept } }
            if let later = incident { reopened.absorb(later) }
            incident = reopened
            // Put the batch back in front, in order, as kept records; tell the waiting callers.
            for entry in work.entries.reversed() {
                var kept = entry
                if let key = entry.key, let changes = deferredAmendments.removeValue(forKey: key) {
                    for change in changes { for row in kept.rows.indices { change(&kept.rows[row]) } }
                }
                if let completion = entry.completion {
                    completions.append((completion, .failure(.unavailable(path: path, reason: reason, kept: true))))
                    incident?.refused += 1
                    stats.refusedRecords += 1
                    kept.completion = nil
                }
                _ = keep(kept, atFront: true)
            }
            completions.reverse()
            completions += refuseQueued(reason: reason)
            trimBacklog()
        }
        condition.unlock()
        WriterCompletion.complete(completions)
    }

    func markStopped() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: - Bookkeeping (lock held)

    private func noteRefusal(cause: String) {
        stats.refusedRecords += 1
        if incident == nil { incident = Incident(began: StoreClock.now(), cause: cause) }
        incident?.refused += 1
        incident?.lastRefusal = Date()
    }

    /// Holds a refused record for later; false (and counted lost) when the backlog is full.
    /// Records put back at the front (an in-flight batch that failed) are always taken; the
    /// backlog is trimmed from its newest end afterwards.
    private func keep(_ entry: WriterEntry, atFront: Bool) -> Bool {
        var entry = entry
        entry.kept = true
        if !atFront, keptRows + entry.rows.count > configuration.backlogCapacity
            || keptBytes + entry.size > configuration.backlogByteCapacity {
            incident?.lost += 1
            stats.lostRecords += 1
            return false
        }
        keptRows += entry.rows.count
        keptBytes += entry.size
        if atFront { fifo.prepend(entry) } else { fifo.append(entry) }
        return true
    }

    /// Turns every accepted record still queued into a kept one and returns its caller's failure.
    private func refuseQueued(reason: String) -> [(WriterCompletion, Result<Void, StoreWriteError>)] {
        var completions: [(WriterCompletion, Result<Void, StoreWriteError>)] = []
        for index in fifo.indices where !fifo[index].kept {
            acceptedRows -= fifo[index].rows.count
            keptRows += fifo[index].rows.count
            keptBytes += fifo[index].size
            fifo[index].kept = true
            if let completion = fifo[index].completion {
                completions.append((completion, .failure(.unavailable(path: path, reason: reason, kept: true))))
                fifo[index].completion = nil
                incident?.refused += 1
                stats.refusedRecords += 1
            }
        }
        return completions
    }

    /// Drops the newest kept records until the backlog fits its bounds again.
    private func trimBacklog() {
        while keptRows > configuration.backlogCapacity || keptBytes > configuration.backlogByteCapacity,
              let last = fifo.last, last.kept {
            _ = fifo.removeLast()
            keptRows -= last.rows.count
            keptBytes -= last.size
            incident?.lost += 1
            stats.lostRecords += 1
        }
    }

    /// On close while the store cannot be written: everything pending is lost.
    private func dropEverything() {
        let count = fifo.count
        guard count > 0 else { return }
        logger.error("closing the store writer with records that could not be written", metadata: ["records": "\(count)"])
        stats.lostRecords += count
        fifo.removeAll()
        acceptedRows = 0
        keptRows = 0
        keptBytes = 0
    }
}
