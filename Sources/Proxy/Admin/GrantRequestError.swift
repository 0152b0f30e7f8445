/// Why a grant was not made, in words for the operator.
public struct GrantRequestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
