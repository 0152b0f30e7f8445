/// Why an Intercept operation could not be done, in words an operator can act on.
public struct InterceptError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
