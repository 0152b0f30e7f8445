/// Turns the bytes one side of a SPDY/3.1 connection sent into frames, incrementally: append bytes
/// as they arrive, then take frames until ``nextFrame()`` returns `nil` (a frame split across
/// appends comes out once it is whole).
///
/// Invariants:
/// - It owns the decompression context for that direction, so every frame of the connection must
///   pass through the same decoder, in order.
/// - A frame longer than ``Limits/maxFrameLength`` is refused as soon as its 8-byte header is in,
///   without buffering it.
/// - After an error the context is unusable: every later call throws that error again.
/// - No I/O and no NIO: usable on live connections and on recordings alike.
public final class SPDYFrameDecoder {
    public struct Limits: Sendable, Hashable {
        /// The largest length field accepted (SPDY allows up to 2^24 - 1).
        public var maxFrameLength: Int
        /// The largest decompressed header block accepted.
        public var maxHeaderBlockLength: Int

        public init(maxFrameLength: Int = 0xFF_FFFF, maxHeaderBlockLength: Int = 256 * 1024) {
            self.maxFrameLength = maxFrameLength
            self.maxHeaderBlockLength = maxHeaderBlockLength
        }
    }

    public let limits: Limits
    private var buffer: [UInt8] = []
    private var start = 0
    private var failure: SPDYFrameError?
    private let inflater = SPDYHeaderInflater()

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - start }

    public func append(_ bytes: some Sequence<UInt8>) {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Appends `bytes` and returns every frame now complete.
    public func decode(_ bytes: some Sequence<UInt8>) throws(SPDYFrameError) -> [SPDYFrame] {
        append(bytes)
        var frames: [SPDYFrame] = []
        while let frame = try nextFrame() { frames.append(frame) }
        return frames
    }

    /// The next complete frame, or `nil` when more bytes are needed.
    public func nextFrame() throws(SPDYFrameError) -> SPDYFrame? {
        if let failure { throw failure }
        do {
            return try decodeNext()
        } catch {
            failure = error
            throw error
        }
    }

    private func decodeNext() throws(SPDYFrameError) -> SPDYFrame? {
        guard bufferedByteCount >= 8 else { return nil }
        var header = SPDYByteReader(buffer[start..<(start + 8)])
        guard let first = header.readUInt32(), let second = header.readUInt32() else { return nil }
        let flags = UInt8(second >> 24)
        let length = Int(second & 0xFF_FFFF)
        guard length <= limits.maxFrameLength else { throw .frameTooLarge(length: length, limit: limits.maxFrameLength) }
        if first & 0x8000_0000 != 0 {
            let version = UInt16((first >> 16) & 0x7FFF)
            guard version == 3 else { throw .unsupportedVersion(version) }
        }
        guard bufferedByteCount >= 8 + length else { return nil }
        let payload = buffer[(start + 8)..<(start + 8 + length)]
        start += 8 + length
        if first & 0x8000_0000 == 0 {
            let streamID = first & 0x7FFF_FFFF
            guard streamID != 0 else { throw .zeroStreamID("DATA") }
            return .data(streamID: streamID, payload: Array(payload), fin: flags & 0x01 != 0)
        }
        let type = UInt16(first & 0xFFFF)
        guard let known = SPDYControlFrameType(rawValue: type) else {
            return .unknownControl(type: type, flags: flags, payload: Array(payload))
        }
        return try control(known, flags: flags, payload: payload)
    }

    private func control(_ type: SPDYControlFrameType, flags: UInt8, payload: ArraySlice<UInt8>) throws(SPDYFrameError) -> SPDYFrame {
        var reader = SPDYByteReader(payload)
        let fin = flags & 0x01 != 0
        switch type {
        case .synStream:
            guard payload.count >= 10, let id = reader.readUInt32(), let associated = reader.readUInt32(),
                  let priority = reader.readUInt8(), let slot = reader.readUInt8() else {
                throw .invalidLength(type, length: payload.count, expected: "at least 10")
            }
            let headers = try headerBlock(reader.readAll(), in: type)
            guard id & 0x7FFF_FFFF != 0 else { throw .zeroStreamID("\(type)") }
            return .synStream(SPDYSynStream(streamID: id & 0x7FFF_FFFF, associatedStreamID: associated & 0x7FFF_FFFF,
                                            priority: priority >> 5, slot: slot, fin: fin,
                                            unidirectional: flags & 0x02 != 0, headers: headers))
        case .synReply, .headers:
            guard let id = reader.readUInt32() else { throw .invalidLength(type, length: payload.count, expected: "at least 4") }
            let headers = try headerBlock(reader.readAll(), in: type)
            guard id & 0x7FFF_FFFF != 0 else { throw .zeroStreamID("\(type)") }
            return type == .synReply ? .synReply(streamID: id & 0x7FFF_FFFF, headers: headers, fin: fin)
                : .headers(streamID: id & 0x7FFF_FFFF, headers: headers, fin: fin)
        case .rstStream:
            let (id, status) = try twoWords(type, &reader, payload.count)
            guard id & 0x7FFF_FFFF != 0 else { throw .zeroStreamID("\(type)") }
            guard status != 0 else { throw .zeroResetStatus(streamID: id & 0x7FFF_FFFF) }
            return .rstStream(streamID: id & 0x7FFF_FFFF, status: SPDYResetStatus(rawValue: status))
        case .settings:
            return .settings(try settings(flags: flags, &reader, length: payload.count))
        case .ping:
            guard payload.count == 4, let id = reader.readUInt32() else { throw .invalidLength(type, length: payload.count, expected: "4") }
            guard id != 0 else { throw .zeroPingID }
            return .ping(id: id)
        case .goAway:
            let (last, status) = try twoWords(type, &reader, payload.count)
            return .goAway(lastGoodStreamID: last & 0x7FFF_FFFF, status: SPDYGoAwayStatus(rawValue: status))
        case .windowUpdate:
            let (id, delta) = try twoWords(type, &reader, payload.count)
            return .windowUpdate(streamID: id & 0x7FFF_FFFF, delta: delta & 0x7FFF_FFFF)
        }
    }

    private func twoWords(_ type: SPDYControlFrameType, _ reader: inout SPDYByteReader,
                          _ length: Int) throws(SPDYFrameError) -> (UInt32, UInt32) {
        guard length == 8, let a = reader.readUInt32(), let b = reader.readUInt32() else {
            throw .invalidLength(type, length: length, expected: "8")
        }
        return (a, b)
    }

    private func settings(flags: UInt8, _ reader: inout SPDYByteReader, length: Int) throws(SPDYFrameError) -> SPDYSettings {
        guard let count = reader.readUInt32() else { throw .invalidLength(.settings, length: length, expected: "at least 4") }
        guard UInt64(length) == 4 + 8 * UInt64(count) else { throw .settingsCountMismatch(count: count, length: length) }
        var entries: [SPDYSettings.Entry] = []
        while let word = reader.readUInt32(), let value = reader.readUInt32() {
            entries.append(.init(id: word & 0xFF_FFFF, flags: UInt8(word >> 24), value: value))
        }
        return SPDYSettings(clearSettings: flags & 0x01 != 0, entries: entries)
    }

    private func headerBlock(_ compressed: ArraySlice<UInt8>, in type: SPDYControlFrameType) throws(SPDYFrameError) -> SPDYHeaderBlock {
        guard !compressed.isEmpty else { throw .headerBlockMissing(type) }
        let raw = try inflater.decompress(compressed, limit: limits.maxHeaderBlockLength)
        return try SPDYHeaderBlockCoding.parse(raw)
    }
}
