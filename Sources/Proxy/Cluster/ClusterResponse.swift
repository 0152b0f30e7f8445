/// An API server's answer to a request of the gateway's own: any status, the whole body.
public struct ClusterResponse: Sendable, Hashable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
}
