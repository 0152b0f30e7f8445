import Synchronization

/// The shared, lock-protected record of one child process, and the waiting on it.
///
/// The pipe drains and the termination handler write into it; tests read snapshots and wait for
/// conditions. Every change wakes every waiter, which re-checks its condition on a fresh snapshot, so
/// waiting needs no polling. A waiter subscribes before its first check, so no change is missed.
final class ChildProcessState: Sendable {
    private struct Storage: ~Copyable {
        var snapshot = ChildSnapshot()
        var subscribers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextSubscriber = 0
        var exitHooks: [@Sendable () -> Void] = []
        /// Set once the exit is known, before the hooks run and before `snapshot.exitStatus` is set.
        var exiting = false
    }

    private let storage = Mutex(Storage())

    var snapshot: ChildSnapshot { storage.withLock { $0.snapshot } }

    func append(_ bytes: [UInt8], to channel: OutputChannel) {
        change { snapshot in
            switch channel {
            case .standardOutput: snapshot.standardOutput.append(contentsOf: bytes)
            case .standardError, .either: snapshot.standardError.append(contentsOf: bytes)
            }
        }
    }

    func close(_ channel: OutputChannel) {
        change { snapshot in
            switch channel {
            case .standardOutput: snapshot.standardOutputClosed = true
            case .standardError, .either: snapshot.standardErrorClosed = true
            }
        }
    }

    /// Records the exit. The exit hooks run first, so anyone who sees the exit status also sees
    /// their effects (e.g. the process is no longer registered for cleanup).
    func recordExit(_ status: ExitStatus) {
        let hooks = storage.withLock { storage in
            storage.exiting = true
            let hooks = storage.exitHooks
            storage.exitHooks = []
            return hooks
        }
        for hook in hooks { hook() }
        change { $0.exitStatus = status }
    }

    /// Runs `hook` once the process has exited: later, or now if it already has.
    func onExit(_ hook: @escaping @Sendable () -> Void) {
        let runNow = storage.withLock { storage in
            if storage.exiting { return true }
            storage.exitHooks.append(hook)
            return false
        }
        if runNow { hook() }
    }

    /// Waits until `check` returns a value, and returns it; returns `nil` when `timeout` passes first (or
    /// the calling task is cancelled). An error thrown by `check` ends the wait with that error.
    func wait<T: Sendable>(timeout: Duration,
                           until check: @escaping @Sendable (ChildSnapshot) throws -> T?) async throws -> T? {
        let (changes, id) = subscribe()
        defer { unsubscribe(id) }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                for await _ in changes {
                    if let value = try check(self.snapshot) { return value }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func change(_ mutate: (inout ChildSnapshot) -> Void) {
        let subscribers = storage.withLock { storage in
            mutate(&storage.snapshot)
            return Array(storage.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield() }
    }

    /// A stream that yields once now and once after every later change (coalesced).
    private func subscribe() -> (AsyncStream<Void>, Int) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = storage.withLock { storage in
            let id = storage.nextSubscriber
            storage.nextSubscriber += 1
            storage.subscribers[id] = continuation
            return id
        }
        continuation.yield()
        return (stream, id)
    }

    private func unsubscribe(_ id: Int) {
        let continuation = storage.withLock { $0.subscribers.removeValue(forKey: id) }
        continuation?.finish()
    }
}
