/// One SPDY/3.1 frame, decoded: header blocks are already decompressed, data payloads are as sent.
///
/// Stream IDs and deltas are 31-bit values; priorities are 0 (highest) to 7. The encoder checks
/// those ranges, the decoder never produces values outside them.
public enum SPDYFrame: Sendable, Hashable {
    case synStream(SPDYSynStream)
    case synReply(streamID: UInt32, headers: SPDYHeaderBlock, fin: Bool = false)
    case rstStream(streamID: UInt32, status: SPDYResetStatus)
    case settings(SPDYSettings)
    /// Client-initiated pings have odd IDs, server-initiated ones even IDs; the receiver echoes the other side's.
    case ping(id: UInt32)
    case goAway(lastGoodStreamID: UInt32, status: SPDYGoAwayStatus)
    case headers(streamID: UInt32, headers: SPDYHeaderBlock, fin: Bool = false)
    /// Stream ID 0 adjusts the session window (SPDY/3.1).
    case windowUpdate(streamID: UInt32, delta: UInt32)
    case data(streamID: UInt32, payload: [UInt8], fin: Bool = false)
    /// A control frame of a type SPDY/3.1 does not define (or that this codec does not interpret,
    /// such as CREDENTIAL); the spec says to ignore it, a recorder keeps it.
    case unknownControl(type: UInt16, flags: UInt8, payload: [UInt8])

    /// The stream the frame belongs to, or `nil` for session frames (SETTINGS, PING, GOAWAY, unknown).
    public var streamID: UInt32? {
        switch self {
        case .synStream(let s): s.streamID
        case .synReply(let id, _, _), .rstStream(let id, _), .headers(let id, _, _), .data(let id, _, _): id
        case .windowUpdate(let id, _): id == 0 ? nil : id
        case .settings, .ping, .goAway, .unknownControl: nil
        }
    }

    /// Whether the sender half-closes its side of the stream with this frame.
    public var isFin: Bool {
        switch self {
        case .synStream(let s): s.fin
        case .synReply(_, _, let fin), .headers(_, _, let fin), .data(_, _, let fin): fin
        default: false
        }
    }
}

extension SPDYFrame: CustomStringConvertible {
    /// One line for logs and test output; payloads are summarized, not dumped.
    public var description: String {
        let finText = isFin ? " FIN" : ""
        switch self {
        case .synStream(let s):
            return "SYN_STREAM \(s.streamID)\(finText) priority \(s.priority) \(s.headers)"
        case .synReply(let id, let headers, _): return "SYN_REPLY \(id)\(finText) \(headers)"
        case .rstStream(let id, let status): return "RST_STREAM \(id) \(status)"
        case .settings(let s): return "SETTINGS \(s.entries.map { "\($0.id)=\($0.value)" })\(s.clearSettings ? " CLEAR" : "")"
        case .ping(let id): return "PING \(id)"
        case .goAway(let last, let status): return "GOAWAY last \(last) \(status)"
        case .headers(let id, let headers, _): return "HEADERS \(id)\(finText) \(headers)"
        case .windowUpdate(let id, let delta): return "WINDOW_UPDATE \(id) +\(delta)"
        case .data(let id, let payload, _):
            let preview = payload.count <= 32 ? " " + String(decoding: payload, as: UTF8.self).debugDescription : ""
            return "DATA \(id)\(finText) \(payload.count) bytes\(preview)"
        case .unknownControl(let type, let flags, let payload): return "control type \(type) flags \(flags) \(payload.count) bytes"
        }
    }
}
