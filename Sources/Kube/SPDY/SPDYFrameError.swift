/// Why bytes are not a valid SPDY/3.1 frame, or a frame cannot be encoded. Each case names the
/// frame and the field that is wrong.
public enum SPDYFrameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A control frame of a version other than 3.
    case unsupportedVersion(UInt16)
    /// The length field exceeds the decoder's limit (or a payload exceeds 2^24 - 1 when encoding).
    case frameTooLarge(length: Int, limit: Int)
    /// A control frame whose length cannot hold its fixed fields.
    case invalidLength(SPDYControlFrameType, length: Int, expected: String)
    /// Stream ID 0 where a stream is required.
    case zeroStreamID(String)
    /// A stream ID or window delta above 2^31 - 1 (encoding).
    case valueOutOfRange(field: String, value: UInt32, maximum: UInt32)
    /// A priority above 7 (encoding).
    case invalidPriority(UInt8)
    /// PING ID 0, which spdystream rejects.
    case zeroPingID
    /// RST_STREAM with status 0.
    case zeroResetStatus(streamID: UInt32)
    /// SETTINGS whose entry count does not match its length.
    case settingsCountMismatch(count: UInt32, length: Int)
    /// A frame type that must carry a header block has none.
    case headerBlockMissing(SPDYControlFrameType)
    /// A decompressed header block above the decoder's limit.
    case headerBlockTooLarge(limit: Int)
    /// The decompressed header block does not parse; the reason says where.
    case malformedHeaderBlock(String)
    /// A header name that is empty, not lowercase, or not UTF-8.
    case invalidHeaderName(String, reason: String)
    case duplicateHeaderName(String)
    case headerValueNotUTF8(name: String)
    /// zlib failed; the message is zlib's.
    case compression(String)
    /// The peer compressed with a dictionary other than SPDY/3's.
    case wrongDictionary(adler32: UInt32)
    /// An earlier error left the zlib context unusable; nothing more can be encoded or decoded.
    case contextUnusable(after: String)

    public var description: String {
        switch self {
        case .unsupportedVersion(let v): "unsupported SPDY version \(v) in a control frame: only version 3 is supported"
        case .frameTooLarge(let length, let limit): "frame length \(length) exceeds the limit of \(limit) bytes"
        case .invalidLength(let type, let length, let expected): "\(type) frame has length \(length); it must be \(expected)"
        case .zeroStreamID(let frame): "\(frame) frame has stream ID 0"
        case .valueOutOfRange(let field, let value, let maximum): "\(field) \(value) is out of range (at most \(maximum))"
        case .invalidPriority(let p): "priority \(p) is out of range (0 to 7)"
        case .zeroPingID: "PING frame has ID 0"
        case .zeroResetStatus(let id): "RST_STREAM for stream \(id) has status 0"
        case .settingsCountMismatch(let count, let length): "SETTINGS frame claims \(count) entries but has length \(length)"
        case .headerBlockMissing(let type): "\(type) frame has no header block"
        case .headerBlockTooLarge(let limit): "decompressed header block exceeds the limit of \(limit) bytes"
        case .malformedHeaderBlock(let reason): "malformed header block: \(reason)"
        case .invalidHeaderName(let name, let reason): "invalid header name \(goQuote(name)): \(reason)"
        case .duplicateHeaderName(let name): "header \(goQuote(name)) appears twice in one header block"
        case .headerValueNotUTF8(let name): "the value of header \(goQuote(name)) is not UTF-8"
        case .compression(let message): "header compression failed: \(message)"
        case .wrongDictionary(let adler): "header block compressed with an unknown dictionary (Adler-32 \(adler)), not SPDY/3's"
        case .contextUnusable(let after): "the header compression context is unusable after an earlier error: \(after)"
        }
    }
}
