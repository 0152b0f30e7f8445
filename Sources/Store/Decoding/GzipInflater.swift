import CZlib

/// Decodes a gzip stream (`Content-Encoding: gzip`) incrementally: feed the bytes as they arrive,
/// take the decoded bytes out. Concatenated gzip members are decoded one after another.
///
/// Not thread-safe: one per response, used in order.
final class GzipInflater {
    struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        var message: String
        var description: String { "gzip: \(message)" }
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private var ready = false
    private var failure: Failure?

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if ready { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decodes `input`, handing out decoded bytes in chunks; `output` returns false to stop early
    /// (enough was decoded). Throws once the stream is corrupt, and on every call after.
    func inflate(_ input: [UInt8], output: ([UInt8]) -> Bool) throws(Failure) {
        if let failure { throw failure }
        if !ready {
            // 15 window bits + 16: a gzip header and trailer, not zlib's.
            let status = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else { throw fail("cannot start decoding (\(status))") }
            ready = true
        }
        guard !input.isEmpty else { return }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        var error: Failure?
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = uInt(inBuffer.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
            }
            while stream.pointee.avail_in > 0 {
                var status = Z_OK
                let produced = chunk.withUnsafeMutableBufferPointer { out -> Int in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    status = CZlib.inflate(stream, Z_NO_FLUSH)
                    return out.count - Int(stream.pointee.avail_out)
                }
                if produced > 0, !output(Array(chunk[..<produced])) { return }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another gzip member may follow.
                    if stream.pointee.avail_in > 0 { inflateReset(stream) }
                case Z_BUF_ERROR where produced > 0:
                    continue
                default:
                    let text = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                    error = fail("the compressed body is corrupt: \(text)")
                    return
                }
            }
        }
        if let error { throw error }
    }

    private func fail(_ message: String) -> Failure {
        let failure = Failure(message: message)
        self.failure = failure
        return failure
    }
}
