import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The WebSocket upgrade for `pods/exec` and `pods/attach`. It accepts only requests that
/// ``ExecSessionPlan`` admits, answering with the negotiated channel protocol.
enum ExecUpgrader {
    static func make(services: SandboxServices) -> NIOWebSocketServerUpgrader {
        NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let sourceIP = APIServerHandler.sourceIP(channel.remoteAddress)
                guard let plan = ExecSessionPlan.make(head: head, sourceIP: sourceIP, services: services) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                var headers = HTTPHeaders()
                headers.add(name: "Sec-WebSocket-Protocol", value: plan.channelProtocol.rawValue)
                headers.add(name: "Audit-Id", value: plan.admitted.auditID)
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, head in
                let sourceIP = APIServerHandler.sourceIP(channel.remoteAddress)
                guard let plan = ExecSessionPlan.make(head: head, sourceIP: sourceIP, services: services) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 4096,
                                                                    maxAccumulatedFrameSize: 1 << 24))
                    try sync.addHandler(ExecWebSocketHandler(plan: plan, services: services))
                }
            })
    }
}
