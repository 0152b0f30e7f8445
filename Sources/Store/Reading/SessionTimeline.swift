/// One session as `portcullis show` tells it: the connection, then each request in order.
public struct SessionTimeline: Sendable, Hashable {
    public var connection: ConnectionRecord
    public var requests: [RecordedRequest]

    public init(connection: ConnectionRecord, requests: [RecordedRequest]) {
        self.connection = connection
        self.requests = requests
    }
}
