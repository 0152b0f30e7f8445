/// A stream request the source refuses (a bad filter): answered 400 with this text.
public struct AdminStreamError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
