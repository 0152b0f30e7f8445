import Foundation

/// Starts children with no blocked signals.
///
/// A spawned process inherits the signal mask of the thread that spawns it, and Foundation's `Process`
/// does not reset it. Dispatch and Swift-concurrency worker threads block almost every signal, so a
/// child started from a test would begin with SIGTERM and SIGINT blocked: the sandbox and kubectl could
/// then only be stopped with SIGKILL. Unblocking briefly on the spawning thread is harmless: a signal
/// delivered to it in that window runs the same handler it would run on any other thread.
enum SignalMask {
    /// Runs `body` with every signal unblocked on this thread, then restores the previous mask.
    static func withNothingBlocked<T>(_ body: () throws -> T) rethrows -> T {
        var empty = sigset_t()
        var previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }
}
