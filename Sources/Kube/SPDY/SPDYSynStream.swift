/// A SYN_STREAM: opens a stream. Client-initiated streams have odd IDs, increasing.
public struct SPDYSynStream: Sendable, Hashable {
    public var streamID: UInt32
    public var associatedStreamID: UInt32
    /// 0 (highest) to 7.
    public var priority: UInt8
    public var slot: UInt8
    public var fin: Bool
    public var unidirectional: Bool
    public var headers: SPDYHeaderBlock

    public init(streamID: UInt32, associatedStreamID: UInt32 = 0, priority: UInt8 = 0, slot: UInt8 = 0,
                fin: Bool = false, unidirectional: Bool = false, headers: SPDYHeaderBlock) {
        self.streamID = streamID
        self.associatedStreamID = associatedStreamID
        self.priority = priority
        self.slot = slot
        self.fin = fin
        self.unidirectional = unidirectional
        self.headers = headers
    }
}
