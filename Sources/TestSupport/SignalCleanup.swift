import Foundation
import Synchronization

/// Runs ``CleanupRegistry/shared`` when the test process is interrupted (SIGINT, SIGTERM, SIGHUP) and
/// when it exits normally.
///
/// How: a C signal handler writes the signal number to a pipe (the only async-signal-safe part), and a
/// `DispatchSource` reading that pipe runs the cleanup on a normal thread, then restores the default
/// disposition and re-raises the signal, so the process still dies of it. A real handler is used instead
/// of `SIG_IGN` plus a signal source because ignored signals stay ignored across `exec`: every child
/// (the sandbox, kubectl) would inherit SIGTERM and SIGINT ignored. Handlers are reset in children.
/// A signal that was already ignored when the process started (say, SIGHUP under nohup) stays ignored.
enum SignalCleanup {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private static let installed = Mutex(false)
    /// Keeps the read source alive for the life of the process. Written once, under `installed`.
    nonisolated(unsafe) private static var source: (any DispatchSourceRead)?

    static func install(for registry: CleanupRegistry) {
        installed.withLock { done in
            guard !done else { return }
            done = true
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { return }
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
            signalPipeWriteEnd = fds[1]
            startReader(fds[0], registry: registry)
            for number in signals {
                let previous = signal(number, forwardSignalToPipe)
                if SignalDisposition.isIgnored(previous) { signal(number, previous) }
            }
            atexit(runSharedRegistryAtExit)
        }
    }

    private static func startReader(_ fd: Int32, registry: CleanupRegistry) {
        let reader = DispatchSource.makeReadSource(fileDescriptor: fd, queue: .global())
        reader.setEventHandler {
            var number: UInt8 = 0
            guard read(fd, &number, 1) == 1 else { return }
            handle(Int32(number), registry: registry)
        }
        reader.resume()
        source = reader
    }

    /// Cleans up, then dies of `number` as if it had not been caught.
    private static func handle(_ number: Int32, registry: CleanupRegistry) {
        let message = "TestSupport: caught signal \(number); removing test namespaces, processes and files\n"
        FileHandle.standardError.write(Data(message.utf8))
        let labels = registry.runAll()
        FileHandle.standardError.write(Data("TestSupport: cleaned up \(labels.count) resources\n".utf8))
        signal(number, SIG_DFL)
        kill(getpid(), number)  // process-directed: a thread that does not block it takes it
        exit(128 + number)      // in case every thread blocks it
    }
}

/// Written once, before the handlers are installed; read by the signal handler.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// The signal handler: async-signal-safe, it only writes the signal number to the pipe.
private func forwardSignalToPipe(_ number: Int32) {
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalPipeWriteEnd, &byte, 1)
    errno = savedErrno
}

/// `atexit` hook: whatever a test left registered is removed when the test runner exits.
private func runSharedRegistryAtExit() {
    CleanupRegistry.shared.runAll()
}
