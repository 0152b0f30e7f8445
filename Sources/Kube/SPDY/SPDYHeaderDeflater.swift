import CZlib

/// The compressing half of a connection's header compression: one zlib stream for everything one
/// side sends, primed with ``SPDYHeaderDictionary``, flushed with Z_SYNC_FLUSH after each header
/// block so the block is complete in its frame.
///
/// Not thread-safe; owned by one ``SPDYFrameEncoder``.
final class SPDYHeaderDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var ready = false

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if ready { deflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    private func start() throws(SPDYFrameError) {
        guard !ready else { return }
        var status = portcullis_deflateInit(stream, Z_DEFAULT_COMPRESSION)
        guard status == Z_OK else { throw .compression(zlibMessage(status, stream)) }
        ready = true
        status = SPDYHeaderDictionary.bytes.withUnsafeBufferPointer {
            deflateSetDictionary(stream, $0.baseAddress, uInt($0.count))
        }
        guard status == Z_OK else { throw .compression(zlibMessage(status, stream)) }
    }

    /// The compressed form of `block`, continuing the connection's zlib stream.
    func compress(_ block: [UInt8]) throws(SPDYFrameError) -> [UInt8] {
        try start()
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(256, block.count + 64))
        var status = Z_OK
        var input = block
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = uInt(inBuffer.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { out -> Int in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    status = deflate(stream, Z_SYNC_FLUSH)
                    return out.count - Int(stream.pointee.avail_out)
                }
                output += chunk[..<produced]
            } while (status == Z_OK) && stream.pointee.avail_out == 0
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
        }
        guard status == Z_OK || status == Z_BUF_ERROR, stream.pointee.avail_in == 0 else {
            throw .compression(zlibMessage(status, stream))
        }
        return output
    }
}

/// zlib's own message for a failure, or the name of the code.
func zlibMessage(_ status: Int32, _ stream: UnsafeMutablePointer<z_stream>) -> String {
    if let message = stream.pointee.msg { return String(cString: message) }
    if let text = zError(status) { return String(cString: text) + " (\(status))" }
    return "zlib status \(status)"
}
