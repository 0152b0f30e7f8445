/// Turns frames into the bytes one side of a SPDY/3.1 connection sends.
///
/// Invariants:
/// - It owns the compression context for that direction: every frame the side sends must be
///   encoded by the same encoder, in the order they are sent.
/// - A frame is checked completely before anything is compressed, so a refused frame leaves the
///   context as it was. Only a compressed header block too long for a frame (2^24 - 1) fails after
///   compressing; the context is then unusable and every later call throws.
/// - No I/O and no NIO.
public final class SPDYFrameEncoder {
    public static let maxLength = 0xFF_FFFF
    private let deflater = SPDYHeaderDeflater()
    private var failure: SPDYFrameError?

    public init() {}

    /// The frame's bytes.
    public func encode(_ frame: SPDYFrame) throws(SPDYFrameError) -> [UInt8] {
        var out: [UInt8] = []
        try encode(frame, into: &out)
        return out
    }

    /// Appends the frame's bytes to `out`; on error `out` is unchanged.
    public func encode(_ frame: SPDYFrame, into out: inout [UInt8]) throws(SPDYFrameError) {
        if let failure { throw failure }
        switch frame {
        case .synStream(let s):
            try check(streamID: s.streamID, in: .synStream)
            try check(s.associatedStreamID, "associated stream ID")
            guard s.priority <= 7 else { throw .invalidPriority(s.priority) }
            var fixed: [UInt8] = []
            fixed.appendBigEndian(s.streamID)
            fixed.appendBigEndian(s.associatedStreamID)
            fixed += [s.priority << 5, s.slot]
            let flags: UInt8 = (s.fin ? 0x01 : 0) | (s.unidirectional ? 0x02 : 0)
            try headerFrame(.synStream, flags: flags, fixed: fixed, headers: s.headers, into: &out)
        case .synReply(let id, let headers, let fin), .headers(let id, let headers, let fin):
            let type: SPDYControlFrameType = if case .synReply = frame { .synReply } else { .headers }
            try check(streamID: id, in: type)
            var fixed: [UInt8] = []
            fixed.appendBigEndian(id)
            try headerFrame(type, flags: fin ? 0x01 : 0, fixed: fixed, headers: headers, into: &out)
        case .rstStream(let id, let status):
            try check(streamID: id, in: .rstStream)
            guard status.rawValue != 0 else { throw .zeroResetStatus(streamID: id) }
            control(.rstStream, flags: 0, payload: words(id, status.rawValue), into: &out)
        case .settings(let settings):
            try encode(settings, into: &out)
        case .ping(let id):
            guard id != 0 else { throw .zeroPingID }
            control(.ping, flags: 0, payload: words(id), into: &out)
        case .goAway(let last, let status):
            try check(last, "last good stream ID")
            control(.goAway, flags: 0, payload: words(last, status.rawValue), into: &out)
        case .windowUpdate(let id, let delta):
            try check(id, "stream ID")
            try check(delta, "window delta")
            control(.windowUpdate, flags: 0, payload: words(id, delta), into: &out)
        case .data(let id, let payload, let fin):
            try check(streamID: id, in: "DATA")
            guard payload.count <= Self.maxLength else { throw .frameTooLarge(length: payload.count, limit: Self.maxLength) }
            out.appendBigEndian(id)
            out.appendBigEndian(UInt32(fin ? 0x01 : 0) << 24 | UInt32(payload.count))
            out += payload
        case .unknownControl(let type, let flags, let payload):
            guard payload.count <= Self.maxLength else { throw .frameTooLarge(length: payload.count, limit: Self.maxLength) }
            header(type: type, flags: flags, length: payload.count, into: &out)
            out += payload
        }
    }

    private func encode(_ settings: SPDYSettings, into out: inout [UInt8]) throws(SPDYFrameError) {
        guard 4 + 8 * settings.entries.count <= Self.maxLength else {
            throw .frameTooLarge(length: 4 + 8 * settings.entries.count, limit: Self.maxLength)
        }
        var payload: [UInt8] = []
        payload.appendBigEndian(UInt32(settings.entries.count))
        for entry in settings.entries {
            guard entry.id <= 0xFF_FFFF else { throw .valueOutOfRange(field: "setting ID", value: entry.id, maximum: 0xFF_FFFF) }
            payload.appendBigEndian(UInt32(entry.flags) << 24 | entry.id)
            payload.appendBigEndian(entry.value)
        }
        control(.settings, flags: settings.clearSettings ? 0x01 : 0, payload: payload, into: &out)
    }

    private func headerFrame(_ type: SPDYControlFrameType, flags: UInt8, fixed: [UInt8], headers: SPDYHeaderBlock,
                             into out: inout [UInt8]) throws(SPDYFrameError) {
        let raw = try SPDYHeaderBlockCoding.serialize(headers)
        let compressed: [UInt8]
        do {
            compressed = try deflater.compress(raw)
        } catch {
            failure = .contextUnusable(after: error.description)
            throw error
        }
        let length = fixed.count + compressed.count
        guard length <= Self.maxLength else {
            let error = SPDYFrameError.frameTooLarge(length: length, limit: Self.maxLength)
            failure = .contextUnusable(after: error.description)
            throw error
        }
        control(type, flags: flags, payload: fixed + compressed, into: &out)
    }

    private func control(_ type: SPDYControlFrameType, flags: UInt8, payload: [UInt8], into out: inout [UInt8]) {
        header(type: type.rawValue, flags: flags, length: payload.count, into: &out)
        out += payload
    }

    private func header(type: UInt16, flags: UInt8, length: Int, into out: inout [UInt8]) {
        out.appendBigEndian(UInt16(0x8003))
        out.appendBigEndian(type)
        out.appendBigEndian(UInt32(flags) << 24 | UInt32(length))
    }

    private func words(_ values: UInt32...) -> [UInt8] {
        var out: [UInt8] = []
        for value in values { out.appendBigEndian(value) }
        return out
    }

    private func check(streamID: UInt32, in type: SPDYControlFrameType) throws(SPDYFrameError) {
        try check(streamID: streamID, in: type.description)
    }

    private func check(streamID: UInt32, in frame: String) throws(SPDYFrameError) {
        guard streamID != 0 else { throw .zeroStreamID(frame) }
        try check(streamID, "stream ID")
    }

    private func check(_ value: UInt32, _ field: String) throws(SPDYFrameError) {
        guard value <= 0x7FFF_FFFF else { throw .valueOutOfRange(field: field, value: value, maximum: 0x7FFF_FFFF) }
    }
}
