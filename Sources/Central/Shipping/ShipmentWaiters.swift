import NIOCore
import Synchronization

/// Requests (in `required` mode) waiting for their record to reach PostgreSQL.
///
/// Invariants:
/// - Each waiter's promise is completed exactly once: when the shipped head reaches its `seq`, when
///   shipping fails (all at once, with the failure), or when its timeout fires.
/// - While the central store is known to be failing, a new waiter fails at once with that failure:
///   nothing waits for a store that cannot be reached.
final class ShipmentWaiters: Sendable {
    private struct Waiter {
        var seq: Int64
        var promise: EventLoopPromise<Void>
        var timeout: Scheduled<Void>?
    }

    private struct State {
        var shipped: Int64
        var failure: CentralStoreError?
        var next: UInt64 = 0
        var waiting: [UInt64: Waiter] = [:]
    }

    private let state: Mutex<State>

    init(shipped: Int64) {
        state = Mutex(State(shipped: shipped))
    }

    var count: Int { state.withLock { $0.waiting.count } }

    /// A future that succeeds once everything up to `seq` is in PostgreSQL.
    func wait(through seq: Int64, on eventLoop: any EventLoop, timeout: Duration, timedOut: CentralStoreError) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        let outcome = state.withLock { state -> Result<Void, CentralStoreError>? in
            if state.shipped >= seq { return .success(()) }
            if let failure = state.failure { return .failure(failure) }
            let id = state.next
            state.next += 1
            state.waiting[id] = Waiter(seq: seq, promise: promise, timeout: nil)
            let scheduled = eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                                                                    + timeout.components.attoseconds / 1_000_000_000)) { [weak self] in
                guard let self else { return }
                self.expire(id, with: timedOut)
            }
            state.waiting[id]?.timeout = scheduled
            return nil
        }
        switch outcome {
        case .success: promise.succeed(())
        case .failure(let error): promise.fail(error)
        case nil: break
        }
        return promise.futureResult
    }

    /// Everything up to `seq` shipped: the waiters it covers succeed, and the store counts as reachable.
    func shipped(through seq: Int64) {
        let done = state.withLock { state -> [Waiter] in
            state.shipped = max(state.shipped, seq)
            state.failure = nil
            let ready = state.waiting.filter { $0.value.seq <= seq }
            for id in ready.keys { state.waiting[id] = nil }
            return Array(ready.values)
        }
        for waiter in done {
            waiter.timeout?.cancel()
            waiter.promise.succeed(())
        }
    }

    /// Shipping failed: every waiter fails with `error`, and so do new ones until a shipment succeeds.
    func failed(_ error: CentralStoreError) {
        let failed = state.withLock { state -> [Waiter] in
            state.failure = error
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for waiter in failed {
            waiter.timeout?.cancel()
            waiter.promise.fail(error)
        }
    }

    /// Fails everyone: the shipper stops.
    func close(_ error: CentralStoreError) { failed(error) }

    private func expire(_ id: UInt64, with error: CentralStoreError) {
        guard let waiter = state.withLock({ $0.waiting.removeValue(forKey: id) }) else { return }
        waiter.promise.fail(error)
    }
}
