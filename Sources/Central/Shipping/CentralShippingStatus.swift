import Kube

/// What `portcullis status` and the metrics say about shipping.
public struct CentralShippingStatus: Sendable, Hashable {
    public var hostName: String
    public var mode: CentralMode
    /// The store, without any secret.
    public var store: String
    /// The last `seq` PostgreSQL holds for this host (0 before the first shipment is known).
    public var shippedSeq: Int64
    /// The last `seq` committed locally.
    public var committedSeq: Int64
    /// When the oldest row not yet in PostgreSQL was recorded; nil when nothing waits.
    public var oldestUnshippedAt: KubeTime?
    /// Whether the last attempt to reach the store succeeded.
    public var reachable: Bool
    public var lastError: String?
    public var lastErrorAt: KubeTime?
    public var lastShippedAt: KubeTime?
    public var rowsShipped: Int
    public var shipments: Int
    public var errors: Int

    /// Rows committed locally and not yet in PostgreSQL.
    public var rowsBehind: Int64 { max(0, committedSeq - shippedSeq) }
}
