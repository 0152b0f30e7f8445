import Kube
import NIOCore
import NIOHTTP1

/// The SPDY/3.1 upgrade for `pods/exec` and `pods/attach`, which kubectl 1.27 to 1.29 use (and
/// later ones when WebSocket is refused or `KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`).
///
/// It accepts only requests that ``ExecSessionPlan`` admits with a protocol from
/// `X-Stream-Protocol-Version` (see ``ChannelProtocol/negotiateSPDY(_:)``), and answers 101 with
/// `Upgrade: SPDY/3.1`, `Connection: upgrade` and the chosen `X-Stream-Protocol-Version`. Anything
/// else is declined and reaches ``APIServerHandler``, which answers with the reason.
///
/// One instance per connection: the plan admitted in ``buildUpgradeResponse`` is the one
/// ``upgrade(context:upgradeRequest:)`` runs, both on the connection's event loop.
final class SPDYExecUpgrader: HTTPServerProtocolUpgrader {
    struct Declined: Error {}

    let supportedProtocol = "SPDY/3.1"
    let requiredUpgradeHeaders: [String] = []
    private let services: SandboxServices
    private var plan: ExecSessionPlan?

    init(services: SandboxServices) {
        self.services = services
    }

    func buildUpgradeResponse(channel: Channel, upgradeRequest: HTTPRequestHead,
                              initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        let offered = ChannelProtocol.negotiateSPDY(upgradeRequest.headers[ChannelProtocol.spdyHeaderName])
        guard let plan = ExecSessionPlan.make(head: upgradeRequest, sourceIP: APIServerHandler.sourceIP(channel.remoteAddress),
                                              services: services, channelProtocol: offered) else {
            return channel.eventLoop.makeFailedFuture(Declined())
        }
        self.plan = plan
        var headers = initialResponseHeaders
        headers.add(name: ChannelProtocol.spdyHeaderName, value: plan.channelProtocol.rawValue)
        headers.add(name: "Audit-Id", value: plan.admitted.auditID)
        return channel.eventLoop.makeSucceededFuture(headers)
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        guard let plan else { return context.eventLoop.makeFailedFuture(Declined()) }
        let services = self.services
        return context.eventLoop.makeCompletedFuture {
            let sync = context.pipeline.syncOperations
            try sync.addHandler(SPDYFrameCodecHandler())
            try sync.addHandler(SPDYExecHandler(plan: plan, services: services))
        }
    }
}
