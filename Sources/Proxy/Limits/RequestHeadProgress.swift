import NIOCore

/// What the bytes before the HTTP decoder say about the request head being read: whether any of it
/// has arrived since the gateway began waiting for it, when, and its first bytes (for the record of a
/// request the decoder cannot parse).
///
/// Shared by the handlers of one connection: ``RequestBytesProbe`` writes it, ``RequestTimeouts``
/// starts and ends each wait, ``ProxyRequestHandler`` reads the excerpt. Every access is on the
/// connection's event loop, so it needs no lock. At most ``excerptLimit`` bytes are kept (slices of
/// the buffers read, not copies), and only while a head is awaited.
final class RequestHeadProgress {
    static let excerptLimit = 8 * 1024

    private(set) var firstByteAt: NIODeadline?
    /// Slices of the buffers as they arrived: kept, not copied, until the head is decoded.
    private var pieces: [ByteBuffer] = []
    private var captured = 0
    private var capturing = true

    /// A new request is awaited: forgets the bytes of the last one.
    func expectRequest() {
        firstByteAt = nil
        pieces.removeAll(keepingCapacity: true)
        captured = 0
        capturing = true
    }

    /// The head was decoded: its bytes are no longer needed.
    func headReceived() {
        pieces.removeAll(keepingCapacity: true)
        captured = 0
        capturing = false
    }

    func received(_ buffer: ByteBuffer, at now: NIODeadline) {
        guard capturing, buffer.readableBytes > 0 else { return }
        if firstByteAt == nil { firstByteAt = now }
        let length = min(buffer.readableBytes, Self.excerptLimit - captured)
        guard length > 0, let slice = buffer.getSlice(at: buffer.readerIndex, length: length) else { return }
        pieces.append(slice)
        captured += length
    }

    /// The first bytes of the head being read (at most ``excerptLimit``).
    var excerpt: [UInt8] { pieces.flatMap { Array($0.readableBytesView) } }

    /// The request line's method and target as far as they arrived, when they look like HTTP: a
    /// method of 1 to 20 letters, then a target of printable ASCII, cut at 256 characters (with `…`).
    var requestLine: (method: String, target: String)? {
        let line = excerpt.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        let words = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
        guard words.count >= 2, (1...20).contains(words[0].count),
              words[0].allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }),
              words[1].allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        var target = String(decoding: words[1].prefix(256), as: UTF8.self)
        if words[1].count > 256 { target += "…" }
        return (String(decoding: words[0], as: UTF8.self), target)
    }

    /// The lowercased names of the header fields that arrived (the request line skipped).
    var headerNames: [String] {
        var names: [String] = []
        let lines = excerpt.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropFirst()
        for line in lines {
            let field = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            if field.isEmpty { break }
            if let colon = field.firstIndex(of: UInt8(ascii: ":")) {
                names.append(String(decoding: field[..<colon], as: UTF8.self).lowercased())
            }
        }
        return names
    }
}
