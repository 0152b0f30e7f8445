import Foundation

/// Reads one pipe on a dedicated thread until end of file.
///
/// Invariants: `onData` receives every byte in order, then `onEnd` is called exactly once; both run on
/// the drain's own thread. Draining continuously means a child can never block on a full pipe, whether
/// or not anybody is looking at its output.
enum PipeDrain {
    static let chunkSize = 64 * 1024

    static func start(_ handle: FileHandle, name: String,
                      onData: @escaping @Sendable ([UInt8]) -> Void,
                      onEnd: @escaping @Sendable () -> Void) {
        let thread = Thread {
            drain(handle.fileDescriptor, onData: onData)
            try? handle.close()
            onEnd()
        }
        thread.name = name
        thread.start()
    }

    /// Reads `fd` until end of file or an error other than EINTR.
    private static func drain(_ fd: Int32, onData: ([UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                onData(Array(buffer[0..<count]))
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// Writes all of `bytes` to `fd`, retrying on EINTR. Returns false if the reader went away (EPIPE)
    /// or another error stopped the write.
    @discardableResult
    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        BrokenPipeGuard.install()
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }
}
