import Kube
import NIOCore

/// Runs one exec or attach session over SPDY/3.1, as the kubelet's remotecommand server does:
/// answers each SYN_STREAM with a SYN_REPLY, starts the command once every stream the request asked
/// for is open (closing the connection if they are not all open within ``streamCreationTimeout``),
/// feeds stdin DATA to the command, answers PINGs, and ends with ``SPDYSessionWriter/finish(_:)``.
///
/// Flow control is not enforced in either direction: spdystream, kubectl's SPDY, neither sends nor
/// honours WINDOW_UPDATE.
final class SPDYExecHandler: ChannelInboundHandler {
    typealias InboundIn = SPDYFrame
    typealias OutboundOut = SPDYFrame

    /// The kubelet's default `streamCreationTimeout`.
    static let streamCreationTimeout: TimeAmount = .seconds(30)

    private let plan: ExecSessionPlan
    private let services: SandboxServices
    private var streams: SPDYExecStreams
    private let stdin = ByteChannel()
    private var task: Task<Void, Never>?
    private var creationTimer: Scheduled<Void>?

    init(plan: ExecSessionPlan, services: SandboxServices) {
        self.plan = plan
        self.services = services
        streams = SPDYExecStreams(stdin: plan.stdin, stdout: plan.stdout, stderr: plan.stderr, tty: plan.tty)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        services.audit?.write(plan.admitted.auditEvent(stage: .responseStarted, status: AdmittedRequest.responseStatus(code: 101)))
        // A container exec'd without stdin reads end-of-file.
        if !plan.stdin { stdin.finish() }
        let channel = context.channel
        creationTimer = context.eventLoop.scheduleTask(in: Self.streamCreationTimeout) {
            channel.writeAndFlush(SPDYFrame.goAway(lastGoodStreamID: 0, status: .ok), promise: nil)
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .synStream(let syn):
            accept(syn, context: context)
        case .data(let id, let payload, let fin):
            receive(streamID: id, payload: payload, fin: fin, context: context)
        case .rstStream(let id, _):
            if streams.type(of: id) == .stdin { stdin.finish() }
            streams.reset(id)
        case .ping(let id) where id % 2 == 1:
            context.writeAndFlush(Self.wrapOutboundOut(.ping(id: id)), promise: nil)
        case .goAway:
            context.close(promise: nil)
        case .synReply(let id, _, _):
            // The sandbox opens no streams, so there is nothing to reply to.
            context.writeAndFlush(Self.wrapOutboundOut(.rstStream(streamID: id, status: .protocolError)), promise: nil)
        case .ping, .headers, .settings, .windowUpdate, .unknownControl:
            break
        }
    }

    private func accept(_ syn: SPDYSynStream, context: ChannelHandlerContext) {
        switch streams.open(syn) {
        case .refuse(let status):
            context.writeAndFlush(Self.wrapOutboundOut(.rstStream(streamID: syn.streamID, status: status)), promise: nil)
        case .accept(let type):
            context.writeAndFlush(Self.wrapOutboundOut(.synReply(streamID: syn.streamID, headers: [:])), promise: nil)
            if syn.fin, type == .stdin { stdin.finish() }
            if streams.isComplete, task == nil { start(context: context) }
        }
    }

    private func receive(streamID: UInt32, payload: [UInt8], fin: Bool, context: ChannelHandlerContext) {
        guard streams.isOpen(streamID) else {
            context.writeAndFlush(Self.wrapOutboundOut(.rstStream(streamID: streamID, status: .invalidStream)), promise: nil)
            return
        }
        // Resize messages need no action: the sandbox's shell has no screen size.
        guard streams.type(of: streamID) == .stdin else { return }
        stdin.push(payload)
        if fin { stdin.finish() }
    }

    private func start(context: ChannelHandlerContext) {
        creationTimer?.cancel()
        creationTimer = nil
        let writer = SPDYSessionWriter(channel: context.channel, streams: streams)
        let io = ShellIO(stdin: stdin, stdout: { writer.send(.stdout, $0) }, stderr: { writer.send(.stderr, $0) })
        let plan = self.plan
        let interval = services.logInterval
        task = Task {
            switch plan.kind {
            case .exec:
                let shell = MiniShell(environment: plan.environment, hostname: plan.pod, tty: plan.tty)
                let outcome = await shell.run(argv: plan.command, io: io)
                writer.finish(ExecResult(outcome, command: plan.command))
            case .attach:
                await AttachSession(plan: plan, interval: interval).run(io: io)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is SPDYFrameError else {
            context.close(promise: nil)
            return
        }
        // Undecodable input: the session cannot continue (the decompression context is lost).
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(.goAway(lastGoodStreamID: streams.lastStreamID, status: .protocolError)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        creationTimer?.cancel()
        task?.cancel()
        stdin.finish()
        services.audit?.write(plan.admitted.auditEvent(stage: .responseComplete, status: AdmittedRequest.responseStatus(code: 101)))
        context.fireChannelInactive()
    }
}
