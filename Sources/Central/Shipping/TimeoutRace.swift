import Synchronization

/// The first of two outcomes: a piece of work's, or its timer's. Later ones are ignored.
final class TimeoutRace: Sendable {
    private struct State {
        var outcome: (any Error)??
        var waiter: CheckedContinuation<(any Error)?, Never>?
    }

    private let state = Mutex(State())

    /// The first outcome: nil for success, or the error.
    func finish(_ error: (any Error)?) {
        let waiter = state.withLock { state -> CheckedContinuation<(any Error)?, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = .some(error)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: error)
    }

    func result() async -> (any Error)? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> (any Error)?? in
                if let outcome = state.outcome { return .some(outcome) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
