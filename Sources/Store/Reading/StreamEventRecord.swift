/// One row of `stream_events`: a chunk of an exec/attach channel, a watch event, a log line.
public struct StreamEventRecord: Sendable, Hashable {
    public var seq: Int64
    public var requestID: Int64
    public var at: Int64
    public var direction: StreamEventDirection
    /// `stdin`, `stdout`, `stderr`, `error`, `resize`, `close`, `watch`, `log` or `raw`.
    public var channel: String
    public var data: [UInt8]

    public init(seq: Int64, requestID: Int64, at: Int64, direction: StreamEventDirection, channel: String, data: [UInt8]) {
        self.seq = seq
        self.requestID = requestID
        self.at = at
        self.direction = direction
        self.channel = channel
        self.data = data
    }
}
