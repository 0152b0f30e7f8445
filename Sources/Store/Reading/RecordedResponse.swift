/// One row of `responses`: how a request ended.
public struct RecordedResponse: Sendable, Hashable {
    /// When the response headers went out; for streams, when the stream started.
    public var startedAt: Int64?
    public var completedAt: Int64
    public var statusCode: Int
    /// `[name, value]` pairs; loaded only with bodies.
    public var headers: [RecordedHeader]
    /// Decoded and redacted; loaded with bodies, and for error statuses always.
    public var body: [UInt8]?
    public var bodyTruncated: Bool
    /// Bytes relayed to the client.
    public var bytes: Int64
    /// Whether the gateway answered itself instead of forwarding.
    public var rejected: Bool
    /// Why the gateway refused.
    public var reason: String?

    public init(startedAt: Int64? = nil, completedAt: Int64, statusCode: Int, headers: [RecordedHeader] = [], body: [UInt8]? = nil,
                bodyTruncated: Bool = false, bytes: Int64 = 0, rejected: Bool = false, reason: String? = nil) {
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
        self.bodyTruncated = bodyTruncated
        self.bytes = bytes
        self.rejected = rejected
        self.reason = reason
    }
}

/// A recorded HTTP header; credentials are already redacted in the store.
public struct RecordedHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
