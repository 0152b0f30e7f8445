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
