import Foundation
import NIOCore
import NIOHTTP1

/// Reads one answer of the admin socket.
///
/// - Without `onChunk`, the whole body is kept, and an answer cut off before its end fails.
/// - With `onChunk` (a streamed answer, `POST /v1/tail`), a 200's body is handed on chunk by chunk
///   as it arrives and the stream may end with the connection; any other status's body is kept
///   (its first 64 KiB) for the error.
final class AdminResponseReader: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<(Int, [UInt8])>
    private let onChunk: (@Sendable ([UInt8]) -> Void)?
    private var status = 0
    private var kept: [UInt8] = []
    private var done = false

    init(promise: EventLoopPromise<(Int, [UInt8])>, onChunk: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.promise = promise
        self.onChunk = onChunk
    }

    private var streams: Bool { onChunk != nil && status == 200 }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(let chunk):
            if streams, let onChunk {
                onChunk(Array(chunk.readableBytesView))
            } else if onChunk == nil {
                kept += chunk.readableBytesView
            } else {
                kept += chunk.readableBytesView.prefix(max(0, 65_536 - kept.count))
            }
        case .end: finish(.success((status, kept)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if streams { return finish(.success((status, kept))) }
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
