import Foundation

/// Standard output, written in large blocks; `flush()` before exiting.
final class StandardOutput {
    private var buffer: [UInt8] = []
    private let limit: Int
    private let handle: FileHandle

    init(handle: FileHandle = .standardOutput, limit: Int = 1 << 16) {
        self.handle = handle
        self.limit = limit
    }

    func write(_ bytes: [UInt8]) {
        buffer += bytes
        if buffer.count >= limit { flush() }
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    func line(_ text: String) { write(Array((text + "\n").utf8)) }

    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
