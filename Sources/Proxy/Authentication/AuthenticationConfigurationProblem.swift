/// One thing wrong with an ``AuthenticationConfiguration``, naming the field (`issuers[1].audiences`).
public struct AuthenticationConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// Thrown by ``OIDCAuthenticator/init(configuration:eventLoopGroup:logger:clock:)`` for a configuration
/// that does not validate, or whose CA file cannot be loaded.
public struct AuthenticationConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [AuthenticationConfigurationProblem]

    public init(problems: [AuthenticationConfigurationProblem]) {
        self.problems = problems
    }

    public var description: String {
        "invalid authentication configuration: " + problems.map(\.description).joined(separator: "; ")
    }
}
