import NIOCore

/// A `Duration` as NIO's `TimeAmount` (nanoseconds; finer parts are dropped).
extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
