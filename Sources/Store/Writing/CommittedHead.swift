import Synchronization

/// The chain head as of this process's last commit, and who wants to hear when it moves.
///
/// Invariants:
/// - ``head`` only moves forward, and it moves before the commit's callers are told, so a caller
///   whose record committed reads a head at or after its record's rows.
/// - Observers run on the writer thread after every commit, outside any lock: they must be cheap
///   and must not block (hand the work elsewhere).
public final class CommittedHead: Sendable {
    private struct State {
        var head: ChainHead
        var observers: [@Sendable (ChainHead) -> Void] = []
    }

    private let state: Mutex<State>

    init(_ head: ChainHead) {
        state = Mutex(State(head: head))
    }

    /// The head after the last commit (the store's head when it was opened, before any).
    public var head: ChainHead { state.withLock { $0.head } }

    /// Calls `observer` after every later commit with the new head.
    public func observe(_ observer: @escaping @Sendable (ChainHead) -> Void) {
        state.withLock { $0.observers.append(observer) }
    }

    func advance(to head: ChainHead) {
        let observers = state.withLock { state -> [@Sendable (ChainHead) -> Void] in
            guard head.seq >= state.head.seq else { return [] }
            state.head = head
            return state.observers
        }
        for observer in observers { observer(head) }
    }
}
