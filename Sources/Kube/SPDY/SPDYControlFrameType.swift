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
