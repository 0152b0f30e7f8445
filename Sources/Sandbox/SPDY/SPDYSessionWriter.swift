import Kube
import NIOCore

/// Writes an exec or attach session's output as SPDY frames, from any thread; NIO keeps the
/// writes of one thread in order, and the frame codec encodes them on the event loop.
struct SPDYSessionWriter: Sendable {
    /// The largest DATA payload written; spdystream copies in 32 KiB reads too.
    static let maxChunk = 32 * 1024
    /// How long the client gets to close the connection after the GOAWAY before the sandbox does.
    static let closeGrace: TimeAmount = .seconds(10)

    let channel: Channel
    /// The streams as they were when the session started.
    let streams: SPDYExecStreams

    /// `bytes` as DATA on the stream of `type`; dropped when the client did not open that stream.
    func send(_ type: RemoteCommandStreamType, _ bytes: [UInt8]) {
        guard let id = streams.ids[type], !bytes.isEmpty else { return }
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + Self.maxChunk)
            channel.write(SPDYFrame.data(streamID: id, payload: Array(bytes[offset..<end])), promise: nil)
            offset = end
        }
        channel.flush()
    }

    /// The result Status on the error stream, FIN on every open stream, then GOAWAY. The client
    /// closes the connection once it has read everything; the sandbox closes it after
    /// ``closeGrace`` if the client does not, never earlier, so no frame is cut off.
    func finish(_ result: ExecResult) {
        send(.error, result.statusBytes())
        for id in streams.open.sorted() {
            channel.write(SPDYFrame.data(streamID: id, payload: [], fin: true), promise: nil)
        }
        channel.writeAndFlush(SPDYFrame.goAway(lastGoodStreamID: streams.lastStreamID, status: .ok), promise: nil)
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
    }
}
