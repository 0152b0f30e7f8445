import CZlib

/// The decompressing half of a connection's header compression: one zlib stream for everything the
/// peer sends. The first block asks for the SPDY/3 dictionary (Z_NEED_DICT), which is supplied;
/// a stream compressed with any other dictionary is refused.
///
/// Not thread-safe; owned by one ``SPDYFrameDecoder``.
final class SPDYHeaderInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var ready = false
    private var ended = false

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if ready { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    private func start() throws(SPDYFrameError) {
        guard !ready else { return }
        let status = portcullis_inflateInit(stream)
        guard status == Z_OK else { throw .compression(zlibMessage(status, stream)) }
        ready = true
    }

    /// Decompresses one frame's header block bytes; at most `limit` bytes come out.
    func decompress(_ compressed: ArraySlice<UInt8>, limit: Int) throws(SPDYFrameError) -> [UInt8] {
        try start()
        guard !ended else { throw .compression("the peer ended its header compression stream") }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var failure: SPDYFrameError?
        var input = Array(compressed)
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = uInt(inBuffer.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
            }
            while failure == nil {
                var status = Z_OK
                let produced = chunk.withUnsafeMutableBufferPointer { out -> Int in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    status = inflate(stream, Z_SYNC_FLUSH)
                    return out.count - Int(stream.pointee.avail_out)
                }
                output += chunk[..<produced]
                if output.count > limit {
                    failure = .headerBlockTooLarge(limit: limit)
                    break
                }
                switch status {
                case Z_NEED_DICT:
                    failure = supplyDictionary()
                case Z_STREAM_END:
                    ended = true
                    if stream.pointee.avail_in > 0 {
                        failure = .compression("\(stream.pointee.avail_in) bytes follow the end of the compression stream")
                    }
                    return
                case Z_OK, Z_BUF_ERROR:
                    // Done when all input is used and zlib had room to spare; Z_BUF_ERROR then only
                    // means there was nothing left to do.
                    if stream.pointee.avail_in == 0, stream.pointee.avail_out > 0 { return }
                    if status == Z_BUF_ERROR, produced == 0 {
                        failure = .compression(zlibMessage(status, stream))
                    }
                default:
                    failure = .compression(zlibMessage(status, stream))
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    private func supplyDictionary() -> SPDYFrameError? {
        let wanted = UInt32(truncatingIfNeeded: stream.pointee.adler)
        let status = SPDYHeaderDictionary.bytes.withUnsafeBufferPointer {
            inflateSetDictionary(stream, $0.baseAddress, uInt($0.count))
        }
        if status == Z_DATA_ERROR { return .wrongDictionary(adler32: wanted) }
        return status == Z_OK ? nil : .compression(zlibMessage(status, stream))
    }
}
