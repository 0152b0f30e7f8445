import Synchronization

/// A one-reader byte stream between an event loop and a command: the loop pushes what the
/// client sends (synchronously, so order is kept), the command reads it. ``read()`` returns nil
/// once the stream is finished and drained, or when the reading task is cancelled.
public final class ByteChannel: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var finished = false
        var waiter: CheckedContinuation<[UInt8]?, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// A channel already holding `bytes` and finished: a command's stdin from a pipe.
    public init(contents bytes: [UInt8]) {
        state.withLock {
            if !bytes.isEmpty { $0.chunks = [bytes] }
            $0.finished = true
        }
    }

    public func push(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let waiter: CheckedContinuation<[UInt8]?, Never>? = state.withLock { s in
            guard !s.finished else { return nil }
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.chunks.append(bytes)
            return nil
        }
        waiter?.resume(returning: bytes)
    }

    public func finish() {
        let waiter: CheckedContinuation<[UInt8]?, Never>? = state.withLock { s in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next chunk, waiting for one.
    public func read() async -> [UInt8]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[UInt8]?, Never>) in
                let immediate: [UInt8]?? = state.withLock { s in
                    if !s.chunks.isEmpty { return .some(s.chunks.removeFirst()) }
                    if s.finished || Task.isCancelled { return .some(nil) }
                    s.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<[UInt8]?, Never>? = state.withLock { s in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Everything until the end of the stream.
    public func readAll() async -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = await read() { all += chunk }
        return all
    }
}
