import Synchronization

/// Requests held for review, shared by every connection and the admin socket.
///
/// Invariants:
/// - At most the policy's `maxHeld` requests are reserved or waiting at once; ``reserve(limit:)``
///   refuses beyond that.
/// - Each held request gets exactly one verdict: the first ``decide(_:_:)`` wins, and its
///   `resolve` runs once, outside the lock.
public final class ReviewQueue: Sendable {
    private struct Waiting {
        var held: HeldRequest?
        var resolve: (@Sendable (ReviewVerdict) -> Void)?
    }

    private struct State {
        var next: UInt64 = 1
        var waiting: [UInt64: Waiting] = [:]
        var observers: [@Sendable (HeldRequest) -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// A slot for one request, or nil when `limit` requests already wait.
    public func reserve(limit: Int) -> UInt64? {
        state.withLock { state in
            guard state.waiting.count < limit else { return nil }
            let id = state.next
            state.next += 1
            state.waiting[id] = Waiting()
            return id
        }
    }

    /// Makes a reserved request visible to reviewers; `resolve` gets its verdict.
    public func publish(_ held: HeldRequest, resolve: @escaping @Sendable (ReviewVerdict) -> Void) {
        let observers = state.withLock { state -> [@Sendable (HeldRequest) -> Void] in
            guard state.waiting[held.id] != nil else { return [] }
            state.waiting[held.id] = Waiting(held: held, resolve: resolve)
            return state.observers
        }
        for observer in observers { observer(held) }
    }

    /// Calls `observer` (outside the lock, on the publishing thread: it must not block) for every
    /// request published from now on: the central store shows them to reviewers anywhere.
    public func observePublished(_ observer: @escaping @Sendable (HeldRequest) -> Void) {
        state.withLock { $0.observers.append(observer) }
    }

    /// Frees a slot that was never published.
    public func release(_ id: UInt64) {
        state.withLock { _ = $0.waiting.removeValue(forKey: id) }
    }

    /// Gives a waiting request its verdict; false when no published request has that id.
    @discardableResult
    public func decide(_ id: UInt64, _ verdict: ReviewVerdict) -> Bool {
        let resolve = state.withLock { state -> (@Sendable (ReviewVerdict) -> Void)? in
            guard let waiting = state.waiting[id], waiting.held != nil else { return nil }
            state.waiting[id] = nil
            return waiting.resolve
        }
        guard let resolve else { return false }
        resolve(verdict)
        return true
    }

    /// What waits, oldest first.
    public func pending() -> [HeldRequest] {
        state.withLock { $0.waiting.values.compactMap(\.held) }.sorted { $0.id < $1.id }
    }

    public func held(_ id: UInt64) -> HeldRequest? {
        state.withLock { $0.waiting[id]?.held }
    }
}
