import Foundation
import Synchronization

/// Makes writes to a pipe whose reader has gone fail with EPIPE instead of killing the test runner.
///
/// It installs a handler that does nothing, not `SIG_IGN`: an ignored signal stays ignored across
/// `exec`, so children (kubectl, the sandbox) would inherit it, whereas a handler is reset to the
/// default in every child. A disposition somebody else chose (not `SIG_DFL`) is left alone.
enum BrokenPipeGuard {
    private static let installed = Mutex(false)

    static func install() {
        installed.withLock { done in
            guard !done else { return }
            done = true
            let previous = signal(SIGPIPE, ignoreBrokenPipe)
            if !SignalDisposition.isDefault(previous) { signal(SIGPIPE, previous) }
        }
    }
}

/// The SIGPIPE handler: nothing to do, the failing `write` reports EPIPE.
private func ignoreBrokenPipe(_ signal: Int32) {}
