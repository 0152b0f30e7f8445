import Foundation

/// Tells systemd about the service's state (`sd_notify`): one datagram to `$NOTIFY_SOCKET`, which
/// is a path or, starting with `@`, an abstract socket. Without `$NOTIFY_SOCKET` (not started by
/// systemd with `Type=notify`) it does nothing.
enum SystemdNotifier {
    /// Sends `state` (`READY=1`, `STOPPING=1`, `STATUS=…`, lines joined by newlines); returns why it
    /// could not, or nil.
    @discardableResult
    static func notify(_ state: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return "NOTIFY_SOCKET is longer than a unix socket path may be" }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, message, message.count, 0, $0, length) }
        }
        return sent == message.count ? nil : String(cString: strerror(errno))
    }
}
