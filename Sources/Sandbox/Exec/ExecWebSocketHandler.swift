import Kube
import NIOCore
import NIOWebSocket

/// Runs one exec or attach session over a WebSocket speaking a channel protocol: client
/// messages on channel 0 feed the command's stdin, its output goes out on channels 1 and 2,
/// and its result on channel 3, followed by a normal close.
final class ExecWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let plan: ExecSessionPlan
    private let services: SandboxServices
    private let stdin = ByteChannel()
    private var task: Task<Void, Never>?
    private var closed = false

    init(plan: ExecSessionPlan, services: SandboxServices) {
        self.plan = plan
        self.services = services
    }

    func handlerAdded(context: ChannelHandlerContext) {
        services.audit?.write(plan.admitted.auditEvent(stage: .responseStarted, status: AdmittedRequest.responseStatus(code: 101)))
        let writer = FrameWriter(channel: context.channel)
        let io = ShellIO(stdin: stdin,
                         stdout: { writer.send(.data(.stdout, $0)) },
                         stderr: { writer.send(.data(.stderr, $0)) })
        let plan = self.plan
        let interval = services.logInterval
        task = Task {
            switch plan.kind {
            case .exec:
                let shell = MiniShell(environment: plan.environment, hostname: plan.pod, tty: plan.tty)
                let result: ExecResult
                switch await shell.run(argv: plan.command, io: io) {
                case .exited(0): result = .success
                case .exited(let code): result = .exitCode(code, command: plan.command)
                case .notFound(let message): result = .failure(message: message)
                }
                writer.finish(result)
            case .attach:
                await AttachSession(plan: plan, interval: interval).run(io: io)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            receive(frame.unmaskedData.readableBytesView, context: context)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(NIOAny(pong), promise: nil)
        case .connectionClose:
            closeSession(context: context)
        case .text:
            FrameWriter(channel: context.channel).abort(code: .unacceptableData, reason: "channel protocols use binary messages only")
        default:
            break
        }
    }

    private func receive(_ bytes: ByteBufferView, context: ChannelHandlerContext) {
        let message: ChannelMessage
        do {
            message = try ChannelMessage(decoding: bytes, protocol: plan.channelProtocol)
        } catch {
            return FrameWriter(channel: context.channel).abort(code: .protocolError, reason: error.description)
        }
        switch message {
        case .data(.stdin, let payload): stdin.push(payload)
        case .close(.stdin): stdin.finish()
        default: break
        }
    }

    private func closeSession(context: ChannelHandlerContext) {
        guard !closed else { return }
        closed = true
        task?.cancel()
        stdin.finish()
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !closed {
            closed = true
            task?.cancel()
            stdin.finish()
        }
        services.audit?.write(plan.admitted.auditEvent(stage: .responseComplete, status: AdmittedRequest.responseStatus(code: 101)))
        context.fireChannelInactive()
    }
}

/// Sends channel messages as binary frames from any thread; NIO orders writes per channel.
struct FrameWriter: Sendable {
    let channel: Channel

    func send(_ message: ChannelMessage) {
        let buffer = channel.allocator.buffer(bytes: message.encoded())
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .binary, data: buffer), promise: nil)
    }

    /// Sends the result on the error channel, then a normal close.
    func finish(_ result: ExecResult) {
        send(.data(.error, result.statusBytes()))
        close(code: .normalClosure, reason: "")
    }

    func abort(code: WebSocketErrorCode, reason: String) {
        close(code: code, reason: reason)
    }

    private func close(code: WebSocketErrorCode, reason: String) {
        var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        let channel = self.channel
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
