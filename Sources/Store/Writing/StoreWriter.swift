import Foundation
import Kube
import Logging
import NIOCore

/// The one writer of the recording: callers hand it rows and learn when they are committed.
///
/// A dedicated thread (never an event loop) takes what is pending every few milliseconds, or as
/// soon as ``StoreWriterConfiguration/maxBatchRows`` rows are waiting, assigns `seq`s, chains the
/// hashes, inserts everything in one transaction and commits (`synchronous = FULL`: durable), then
/// completes the callers' futures, on their event loops.
///
/// Invariants:
/// - Nothing blocks a caller. A record fails at once when the queue is full or the store cannot be
///   written (unwritable, full disk, removed file, I/O error); the proxy then answers 503.
/// - A refused record is not forgotten: it is kept in a bounded backlog and written, in order, once
///   the store takes writes again, with a `store_outages` row that says when the trouble began, what
///   it was and how many records were refused, recovered and lost (the backlog's overflow).
/// - Records commit in the order they were appended; a record's rows are consecutive in `seq`.
/// - Every promise is completed: on commit, on refusal, on rejection, or when the writer closes.
///
/// Call ``close()`` when done: the thread runs until then.
public final class StoreWriter: Sendable {
    public let database: StoreDatabase
    public let configuration: StoreWriterConfiguration
    private let queue: WriterQueue
    private let committer: BatchCommitter
    private let logger: Logger
    /// Where the chain ends as of the last commit; the central shipper follows it.
    public let committed: CommittedHead

    public init(database: StoreDatabase, configuration: StoreWriterConfiguration = StoreWriterConfiguration(),
                logger: Logger = Logger(label: "portcullis.store")) {
        self.database = database
        self.configuration = configuration
        self.logger = logger
        self.queue = WriterQueue(configuration: configuration, path: database.path, logger: logger)
        self.committer = BatchCommitter(database: database, logger: logger)
        let head = (try? database.pool.read { try ChainHead.read($0) }) ?? .genesis
        let committed = CommittedHead(head)
        self.committed = committed
        let thread = Thread { [queue, committer] in
            while let work = queue.nextWork() {
                let result = committer.commit(work)
                if case .committed(let head, _, _) = result { committed.advance(to: head) }
                queue.finish(work, result)
            }
            queue.markStopped()
        }
        thread.name = "portcullis.store-writer"
        thread.start()
    }

    /// Appends a record; the future succeeds once it is committed and fails at once when it cannot
    /// be taken now (``StoreWriteError``).
    public func append(_ rows: [StoreRow], key: String? = nil, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        queue.submit(WriterEntry(rows: rows, key: key, completion: .promise(promise)))
        return promise.futureResult
    }

    /// Appends a record; `completion`, if any, runs on the writer thread (or the caller's, when the
    /// record is refused at once). Never blocks.
    public func append(_ rows: [StoreRow], key: String? = nil,
                       completion: (@Sendable (Result<Void, StoreWriteError>) -> Void)? = nil) {
        queue.submit(WriterEntry(rows: rows, key: key, completion: completion.map(WriterCompletion.callback)))
    }

    /// Changes the rows of a record that is not committed yet (still queued or in the backlog).
    /// Used to note on a kept response that the gateway withheld it.
    @discardableResult
    public func amend(key: String, _ transform: @escaping @Sendable (inout StoreRow) -> Void) -> AmendOutcome {
        queue.amend(key: key, transform)
    }

    public enum AmendOutcome: Sendable, Hashable {
        /// The pending record was changed.
        case amended
        /// The record is being committed right now; the change applies if that commit fails.
        case deferred
        /// No pending record has that key (committed already, or never appended).
        case notPending
    }

    public var statistics: StoreWriterStatistics { queue.statistics }

    /// Blocks until everything appended before has been committed (or refused). Not on an event loop.
    public func sync() throws(StoreWriteError) {
        let done = DispatchSemaphore(value: 0)
        let outcome = ResultBox()
        append([]) { result in
            outcome.set(result)
            done.signal()
        }
        done.wait()
        try outcome.get()
    }

    /// Writes what is pending (when the store can be written), fails whatever cannot be, and stops
    /// the thread. Blocks until it has; not on an event loop. Later appends fail with ``StoreWriteError/closed(path:)``.
    public func close() {
        queue.stop()
    }
}

/// A result handed from the writer thread to a waiting caller.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Void, StoreWriteError> = .success(())

    func set(_ value: Result<Void, StoreWriteError>) {
        lock.lock()
        result = value
        lock.unlock()
    }

    func get() throws(StoreWriteError) {
        lock.lock()
        let value = result
        lock.unlock()
        try value.get()
    }
}
