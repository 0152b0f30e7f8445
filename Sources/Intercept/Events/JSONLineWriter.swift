import Foundation

/// Writes JSON lines to a file descriptor (standard output by default), in order, from a serial
/// queue, so callers on event loops never block on the write.
public final class JSONLineWriter: Sendable {
    private let fd: Int32
    private let queue = DispatchQueue(label: "portcullis.json-lines")

    public init(fileDescriptor: Int32 = STDOUT_FILENO) {
        self.fd = fileDescriptor
    }

    /// Queues `json` followed by a newline.
    public func write(_ json: [UInt8]) {
        let line = json + [UInt8(ascii: "\n")]
        queue.async { [fd] in
            line.withUnsafeBytes { buffer in
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

    /// Waits until every line queued so far is written.
    public func flush() { queue.sync {} }
}
