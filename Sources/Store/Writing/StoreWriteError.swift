/// Why a record was not committed. Returned at once, never after waiting: the proxy answers 503.
public enum StoreWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// More records are waiting for the disk than the queue holds. `kept` says whether the
    /// record is held in the backlog and written once the queue drains.
    case queueFull(capacity: Int, kept: Bool)
    /// The store cannot be written now (unwritable, full, removed, I/O error). `kept` says whether
    /// the record is held in memory and will be written once the store is back.
    case unavailable(path: String, reason: String, kept: Bool)
    /// The row itself cannot be stored (a constraint it breaks); nothing else is affected.
    case rejected(table: String, reason: String)
    /// The writer has been shut down.
    case closed(path: String)

    public var description: String {
        switch self {
        case .queueFull(let capacity, let kept):
            "the store's write queue is full (\(capacity) records waiting)" + (kept ? "" : " and its backlog too; the record is lost")
        case .unavailable(_, let reason, let kept):
            "the store cannot be written: \(reason)" + (kept ? "" : "; its backlog is full too, the record is lost")
        case .rejected(let table, let reason):
            "a \(table) record was refused by the store: \(reason)"
        case .closed(let path):
            "the store \(path) is closed"
        }
    }
}
