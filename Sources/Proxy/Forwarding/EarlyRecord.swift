import NIOCore

/// The record of a read forwarded before it was committed (``ProxyRequestHandler``'s one-commit
/// reads): its future, and how it ended once it did.
///
/// Invariant: while ``outcome`` is nil, nothing of the response reaches the client; after a
/// failure, nothing ever does (the client gets a 503 instead).
struct EarlyRecord {
    let request: RequestID
    let future: EventLoopFuture<Void>
    /// nil while the commit is pending.
    var outcome: Result<Void, any Error>?

    /// Whether the response may reach the client: true once committed, false if it failed, nil
    /// while pending.
    var allowsDelivery: Bool? {
        switch outcome {
        case .none: nil
        case .success: true
        case .failure: false
        }
    }
}
