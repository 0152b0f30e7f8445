/// Why a grant was not made, in words for the operator.
struct GrantRequestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
