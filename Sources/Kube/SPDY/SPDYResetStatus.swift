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
