import Foundation
import Synchronization

/// The process-wide list of things a test created and must remove: namespaces, processes, directories.
///
/// Invariants:
/// - Every action runs at most once: whoever takes it out of the registry runs it (its owner through
///   ``runNow(_:)``, or ``runAll()`` on an interrupt or at exit).
/// - ``runAll()`` runs the newest first, so processes die before the namespace they run in is deleted.
/// - Actions are synchronous and must not throw: they run from `defer`, from signal handling and at exit.
///
/// ``shared`` also handles SIGINT, SIGTERM and SIGHUP (see ``SignalCleanup``) and runs at process exit,
/// both installed when the first action registers. Owners still remove their resources themselves at
/// the end of each test; the registry is the safety net for interrupts and for forgotten owners.
public final class CleanupRegistry: Sendable {
    /// The registry every resource of this process registers with.
    public static let shared = CleanupRegistry(handlesSignalsAndExit: true)

    private struct Entry: Sendable {
        let token: CleanupToken
        let label: String
        let action: @Sendable () -> Void
    }

    private struct State: ~Copyable {
        var entries: [Entry] = []
        var nextID = 0
    }

    private let state = Mutex(State())
    private let handlesSignalsAndExit: Bool

    /// A private registry (for tests of the registry itself) does not touch signals or exit.
    public init(handlesSignalsAndExit: Bool = false) {
        self.handlesSignalsAndExit = handlesSignalsAndExit
    }

    /// Registers `action`, described by `label`, and returns the token to run or discard it with.
    public func register(_ label: String, action: @escaping @Sendable () -> Void) -> CleanupToken {
        if handlesSignalsAndExit { SignalCleanup.install(for: self) }
        return state.withLock { state in
            let token = CleanupToken(id: state.nextID)
            state.nextID += 1
            state.entries.append(Entry(token: token, label: label, action: action))
            return token
        }
    }

    /// Runs the action of `token` now, unless it already ran or was discarded.
    public func runNow(_ token: CleanupToken) {
        take(token)?.action()
    }

    /// Forgets the action of `token` without running it (the resource went away by itself).
    public func discard(_ token: CleanupToken) {
        _ = take(token)
    }

    /// Runs every pending action, newest first, and returns their labels in the order they ran.
    @discardableResult
    public func runAll() -> [String] {
        let entries = state.withLock { state in
            let entries = state.entries
            state.entries = []
            return entries
        }
        for entry in entries.reversed() { entry.action() }
        return entries.reversed().map(\.label)
    }

    /// The labels of the pending actions, oldest first.
    public var pendingLabels: [String] {
        state.withLock { $0.entries.map(\.label) }
    }

    private func take(_ token: CleanupToken) -> Entry? {
        state.withLock { state in
            guard let index = state.entries.firstIndex(where: { $0.token == token }) else { return nil }
            return state.entries.remove(at: index)
        }
    }
}
