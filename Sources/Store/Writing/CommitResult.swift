import Foundation
import Kube
import NIOCore

/// How a transaction ended.
enum CommitResult: Sendable {
    /// Committed; entries at these indices were refused by the database for themselves.
    case committed(head: ChainHead, rejected: [Int: String], latency: Duration)
    case failed(reason: String)
}
