/// One row of `guard_events`: a packet to an API server that took another path than the gateway
/// and was dropped (a bypass attempt). Named `g<seq>`.
public struct GuardEventRecord: Sendable, Hashable {
    public var seq: Int64
    public var at: Int64
    public var `protocol`: String
    public var source: String
    public var sourcePort: Int64?
    public var destination: String
    public var destinationPort: Int64?
    public var caller: CallerRecord
    public var inInterface: String?
    public var outInterface: String?
    public var note: String?

    public init(seq: Int64, at: Int64, protocol: String, source: String, sourcePort: Int64? = nil, destination: String,
                destinationPort: Int64? = nil, caller: CallerRecord = CallerRecord(), inInterface: String? = nil,
                outInterface: String? = nil, note: String? = nil) {
        self.seq = seq
        self.at = at
        self.protocol = `protocol`
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.caller = caller
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.note = note
    }

    public var reference: RecordReference { .guardEvent(seq) }

    /// `tcp 10.0.0.5:51000 -> 10.0.0.10:6443 dropped`
    public var summary: String {
        "\(`protocol`) \(Self.endpoint(source, sourcePort)) -> \(Self.endpoint(destination, destinationPort)) dropped"
    }

    static func endpoint(_ address: String, _ port: Int64?) -> String {
        guard let port else { return address }
        return address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}
