import NIOCore
import Proxy
import Store

/// `central.mode: required`: a request is forwarded only once its record is committed in
/// PostgreSQL too. Wraps the local recorder: the request's future succeeds once the local commit
/// has happened and every row up to the local head at that moment has shipped (so the request's
/// row has); it fails, and the proxy answers 503 naming the central store, when shipping fails or
/// takes longer than `central.requiredTimeout`. Every other event passes through unchanged.
public struct CentralRequiredRecorder: ProxyRecorder {
    public let next: any ProxyRecorder
    public let shipper: CentralShipper
    public let committed: CommittedHead

    public init(next: any ProxyRecorder, shipper: CentralShipper, committed: CommittedHead) {
        self.next = next
        self.shipper = shipper
        self.committed = committed
    }

    public func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let local = next.record(event, on: eventLoop)
        guard case .requestReceived = event else { return local }
        let shipper = self.shipper, committed = self.committed
        return local.flatMap { shipper.waitShipped(through: committed.head.seq, on: eventLoop) }
    }
}
