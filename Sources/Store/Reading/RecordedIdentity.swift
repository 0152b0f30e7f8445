/// The verified identity a request was forwarded as (the impersonated user).
public struct RecordedIdentity: Sendable, Hashable {
    public var username: String
    public var groups: [String]
    public var extra: [String: [String]]
    public var issuer: String?
    public var subject: String?

    public init(username: String, groups: [String] = [], extra: [String: [String]] = [:], issuer: String? = nil,
                subject: String? = nil) {
        self.username = username
        self.groups = groups
        self.extra = extra
        self.issuer = issuer
        self.subject = subject
    }
}
