import Foundation
import Kube

/// Appends audit.k8s.io/v1 Events, one JSON line each, to a file of mode 0600.
///
/// Writes go through one serial queue, so the event loops never wait on the disk and lines
/// never interleave. ``flush()`` waits for everything written so far.
public final class AuditLog: Sendable {
    private let fd: Int32
    private let queue = DispatchQueue(label: "portcullis-sandbox.audit")

    public init(path: String) throws(SandboxSetupError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SandboxSetupError("cannot open the audit log \(path): \(String(cString: strerror(errno)))") }
        fchmod(fd, 0o600)
        self.fd = fd
    }

    public func write(_ event: AuditEvent) {
        let line = event.jsonBytes() + [UInt8(ascii: "\n")]
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

    public func flush() {
        queue.sync {}
    }

    deinit {
        queue.sync {}
        close(fd)
    }
}

/// A problem starting the sandbox: a file it cannot read or write, a bad option.
public struct SandboxSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
