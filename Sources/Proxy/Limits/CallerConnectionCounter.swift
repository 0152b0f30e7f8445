import Synchronization

/// Open connections per caller, across every event loop.
///
/// Invariant: every ``open(_:)`` is matched by exactly one ``close(_:)`` (the gate closes on the
/// channel's close future), so a count is the number of that caller's connections still open, and a
/// caller with none has no entry.
final class CallerConnectionCounter: Sendable {
    private let counts = Mutex<[CallerKey: Int]>([:])

    /// Counts one more open connection for `key`; returns how many it has, this one included.
    func open(_ key: CallerKey) -> Int {
        counts.withLock { counts in
            let count = (counts[key] ?? 0) + 1
            counts[key] = count
            return count
        }
    }

    func close(_ key: CallerKey) {
        counts.withLock { counts in
            let count = (counts[key] ?? 1) - 1
            counts[key] = count > 0 ? count : nil
        }
    }

    func count(_ key: CallerKey) -> Int { counts.withLock { $0[key] ?? 0 } }
}
