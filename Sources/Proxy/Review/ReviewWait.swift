import Kube
import NIOCore

/// What a connection keeps while its request waits for a reviewer: enough to forward it on approval.
struct ReviewWait {
    var id: UInt64
    var info: RequestInfo
    var identity: VerifiedIdentity
    var body: ByteBuffer
    /// The rule that asked for review.
    var rule: String
    var timeout: Duration
    var timer: Scheduled<Void>
}
