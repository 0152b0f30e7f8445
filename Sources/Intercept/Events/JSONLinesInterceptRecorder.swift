import Foundation

/// Writes each event as one JSON line to a file descriptor (standard output by default), in order,
/// from a serial queue so callers never block on the write. Used until the Store records events.
public final class JSONLinesInterceptRecorder: InterceptRecorder {
    private let fd: Int32
    private let queue = DispatchQueue(label: "portcullis.intercept.events")
    private let next: (any InterceptRecorder)?

    /// - Parameter next: another recorder that also gets every event (e.g. an in-memory one).
    public init(fileDescriptor: Int32 = STDOUT_FILENO, next: (any InterceptRecorder)? = nil) {
        self.fd = fileDescriptor
        self.next = next
    }

    public func record(_ event: InterceptEvent) {
        next?.record(event)
        let line = event.jsonBytes() + [UInt8(ascii: "\n")]
        queue.async { [fd] in
            line.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                var offset = 0
                while offset < buffer.count {
                    let n = write(fd, base + offset, buffer.count - offset)
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { return }
                    offset += n
                }
            }
        }
    }

    /// Waits until every event recorded so far is written.
    public func flush() { queue.sync {} }
}
