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

/// The control frame types of SPDY/3.1, as on the wire.
public enum SPDYControlFrameType: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case synStream = 1, synReply = 2, rstStream = 3, settings = 4, ping = 6, goAway = 7, headers = 8, windowUpdate = 9

    public var description: String {
        switch self {
        case .synStream: "SYN_STREAM"
        case .synReply: "SYN_REPLY"
        case .rstStream: "RST_STREAM"
        case .settings: "SETTINGS"
        case .ping: "PING"
        case .goAway: "GOAWAY"
        case .headers: "HEADERS"
        case .windowUpdate: "WINDOW_UPDATE"
        }
    }
}

/// A SYN_STREAM: opens a stream. Client-initiated streams have odd IDs, increasing.
public struct SPDYSynStream: Sendable, Hashable {
    public var streamID: UInt32
    public var associatedStreamID: UInt32
    /// 0 (highest) to 7.
    public var priority: UInt8
    public var slot: UInt8
    public var fin: Bool
    public var unidirectional: Bool
    public var headers: SPDYHeaderBlock

    public init(streamID: UInt32, associatedStreamID: UInt32 = 0, priority: UInt8 = 0, slot: UInt8 = 0,
                fin: Bool = false, unidirectional: Bool = false, headers: SPDYHeaderBlock) {
        self.streamID = streamID
        self.associatedStreamID = associatedStreamID
        self.priority = priority
        self.slot = slot
        self.fin = fin
        self.unidirectional = unidirectional
        self.headers = headers
    }
}

/// RST_STREAM's status code. Unknown codes are kept as they are; 0 is not valid on the wire.
public struct SPDYResetStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let protocolError = Self(rawValue: 1)
    public static let invalidStream = Self(rawValue: 2)
    public static let refusedStream = Self(rawValue: 3)
    public static let unsupportedVersion = Self(rawValue: 4)
    public static let cancel = Self(rawValue: 5)
    public static let internalError = Self(rawValue: 6)
    public static let flowControlError = Self(rawValue: 7)
    public static let streamInUse = Self(rawValue: 8)
    public static let streamAlreadyClosed = Self(rawValue: 9)
    public static let invalidCredentials = Self(rawValue: 10)
    public static let frameTooLarge = Self(rawValue: 11)

    private static let names = ["PROTOCOL_ERROR", "INVALID_STREAM", "REFUSED_STREAM", "UNSUPPORTED_VERSION", "CANCEL",
                                "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "STREAM_IN_USE", "STREAM_ALREADY_CLOSED",
                                "INVALID_CREDENTIALS", "FRAME_TOO_LARGE"]

    public var description: String {
        (1...11).contains(rawValue) ? Self.names[Int(rawValue) - 1] : "status \(rawValue)"
    }
}

/// GOAWAY's status code.
public struct SPDYGoAwayStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let ok = Self(rawValue: 0)
    public static let protocolError = Self(rawValue: 1)
    public static let internalError = Self(rawValue: 2)

    public var description: String {
        switch rawValue {
        case 0: "OK"
        case 1: "PROTOCOL_ERROR"
        case 2: "INTERNAL_ERROR"
        default: "status \(rawValue)"
        }
    }
}

/// A SETTINGS frame: ID/value pairs, each with its own flags.
public struct SPDYSettings: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// 24 bits on the wire.
        public var id: UInt32
        /// 0x1 FLAG_SETTINGS_PERSIST_VALUE, 0x2 FLAG_SETTINGS_PERSISTED.
        public var flags: UInt8
        public var value: UInt32

        public init(id: UInt32, flags: UInt8 = 0, value: UInt32) {
            self.id = id
            self.flags = flags
            self.value = value
        }

        public static let uploadBandwidth: UInt32 = 1
        public static let downloadBandwidth: UInt32 = 2
        public static let roundTripTime: UInt32 = 3
        public static let maxConcurrentStreams: UInt32 = 4
        public static let currentCwnd: UInt32 = 5
        public static let downloadRetransRate: UInt32 = 6
        public static let initialWindowSize: UInt32 = 7
        public static let clientCertificateVectorSize: UInt32 = 8
    }

    /// The frame's FLAG_SETTINGS_CLEAR_SETTINGS (0x1).
    public var clearSettings: Bool
    public var entries: [Entry]

    public init(clearSettings: Bool = false, entries: [Entry]) {
        self.clearSettings = clearSettings
        self.entries = entries
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
