import NIOCore
import NIOHTTP1

/// A response held back until its record is committed: no record, no delivery.
///
/// Ordinary (not long-running) responses wait here, head and body, until the upstream ends them and
/// the recorder has made `responseCompleted` durable; only then does the client see any of it. A
/// response larger than the proxy's hold limit is released and streams on, recorded as it flows.
/// Long-running responses (watch, logs, exec, port-forward) are never held.
struct HeldResponse {
    let head: HTTPResponseHead
    private(set) var parts: [ByteBuffer] = []
    private(set) var bytes = 0

    init(head: HTTPResponseHead) { self.head = head }

    mutating func append(_ buffer: ByteBuffer) {
        parts.append(buffer)
        bytes += buffer.readableBytes
    }

    /// Whether a response announcing `headers` may be held under `limit` bytes.
    static func fits(_ headers: HTTPHeaders, limit: Int) -> Bool {
        guard let length = headers.first(name: "content-length") else { return true }
        guard let count = Int(length) else { return false }
        return count <= limit
    }
}
