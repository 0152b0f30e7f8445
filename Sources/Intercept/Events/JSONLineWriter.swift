import Foundation
import Synchronization

/// Writes JSON lines to a file descriptor (standard output by default), in order, from a serial
/// queue, so callers on event loops never block on the write.
///
/// Invariants:
/// - Lines are appended to one buffer under a lock; one write task drains everything pending, so
///   a burst of lines costs one hop to the queue and a few `write` calls, not one of each per line.
/// - Lines are written whole and in the order `write` was called.
/// - The buffer holds at most ``maximumPendingBytes``: lines beyond that (a reader that stopped
///   reading) are dropped and counted, never blocking a caller. The record is the store's, not these.
public final class JSONLineWriter: Sendable {
    public static let maximumPendingBytes = 64 << 20

    private struct Pending {
        var buffer: [UInt8] = []
        var scheduled = false
        var dropped = 0
    }

    private let fd: Int32
    private let queue = DispatchQueue(label: "portcullis.json-lines")
    private let pending = Mutex(Pending())

    public init(fileDescriptor: Int32 = STDOUT_FILENO) {
        self.fd = fileDescriptor
    }

    /// Queues `json` followed by a newline.
    public func write(_ json: [UInt8]) {
        let schedule = pending.withLock { state -> Bool in
            guard state.buffer.count + json.count < Self.maximumPendingBytes else {
                state.dropped += 1
                return false
            }
            state.buffer.append(contentsOf: json)
            state.buffer.append(UInt8(ascii: "\n"))
            defer { state.scheduled = true }
            return !state.scheduled
        }
        if schedule { queue.async { self.drain() } }
    }

    /// Lines dropped because the reader fell more than ``maximumPendingBytes`` behind.
    public var droppedLines: Int { pending.withLock { $0.dropped } }

    /// Waits until every line queued so far is written.
    public func flush() { queue.sync { drain() } }

    private func drain() {
        let bytes = pending.withLock { state -> [UInt8] in
            defer {
                state.buffer = []
                state.scheduled = false
            }
            return state.buffer
        }
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, base + offset, buffer.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return }
                offset += n
            }
        }
    }
}
