import Foundation
import NIOCore
import NIOHTTP1

/// Reads one streamed answer of the admin socket (`POST /v1/tail`): a 200's body is handed on as
/// it arrives, chunk by chunk; any other status's body is kept for the error.
final class AdminStreamReader: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<(Int, [UInt8])>
    private let onChunk: @Sendable ([UInt8]) -> Void
    private var status = 0
    private var kept: [UInt8] = []
    private var done = false

    init(promise: EventLoopPromise<(Int, [UInt8])>, onChunk: @escaping @Sendable ([UInt8]) -> Void) {
        self.promise = promise
        self.onChunk = onChunk
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(let chunk):
            if status == 200 { onChunk(Array(chunk.readableBytesView)) } else { kept += chunk.readableBytesView.prefix(65_536) }
        case .end: finish(.success((status, kept)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if status == 200 { return finish(.success((status, kept))) }
        finish(.failure(AdminClientError.unreachable(socket: "", reason: "the gateway closed the connection without an answer")))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    private func finish(_ result: Result<(Int, [UInt8]), any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }
}
