import Kube
import Proxy

/// Turns both directions of a SPDY/3.1 exec/attach/port-forward connection into channel chunks.
///
/// The client opens one stream per channel with a SYN_STREAM whose `streamtype` header names it;
/// the stream ids are shared by both directions, the header compression is per direction (one
/// ``SPDYFrameDecoder`` each). DATA frames become chunks on their stream's channel; a FIN on a
/// stream of a known channel becomes a `close` chunk. Session frames (SETTINGS, PING, WINDOW_UPDATE,
/// SYN_REPLY, ...) are skipped; frames of unknown type, data on unknown streams and everything
/// from a frame that does not decode onwards are kept as `raw`.
final class SPDYChannelDecoder {
    private final class Direction {
        let decoder = SPDYFrameDecoder()
        /// The bytes given to the decoder and not yet returned as a frame, to keep them as `raw`
        /// if they turn out not to decode.
        var pending: [UInt8] = []
        var pendingStart = 0
        var failed = false

        var pendingCount: Int { pending.count - pendingStart }

        func consume(_ count: Int) -> ArraySlice<UInt8> {
            let slice = pending[pendingStart..<(pendingStart + count)]
            pendingStart += count
            if pendingStart > 64 * 1024, pendingStart * 2 > pending.count {
                pending.removeFirst(pendingStart)
                pendingStart = 0
            }
            return slice
        }

        func takeAll() -> [UInt8] {
            defer {
                pending = []
                pendingStart = 0
            }
            return Array(pending[pendingStart...])
        }
    }

    private var streams: [UInt32: String] = [:]
    private let directions: [StreamDirection: Direction] = [.clientToUpstream: Direction(), .upstreamToClient: Direction()]

    func decode(_ bytes: [UInt8], direction: StreamDirection) -> [StreamChunk] {
        guard let state = directions[direction] else { return [.raw(bytes)] }
        if state.failed { return [.raw(bytes)] }
        state.pending += bytes
        state.decoder.append(bytes)
        var chunks: [StreamChunk] = []
        while true {
            do {
                guard let frame = try state.decoder.nextFrame() else { break }
                let frameBytes = state.consume(state.pendingCount - state.decoder.bufferedByteCount)
                chunks += interpret(frame, bytes: frameBytes)
            } catch {
                state.failed = true
                chunks.append(.raw(state.takeAll()))
                break
            }
        }
        return chunks
    }

    /// At the end of the stream: bytes of an unfinished frame.
    func finish(direction: StreamDirection) -> [StreamChunk] {
        guard let state = directions[direction], state.pendingCount > 0 else { return [] }
        return [.raw(state.takeAll())]
    }

    private func interpret(_ frame: SPDYFrame, bytes: ArraySlice<UInt8>) -> [StreamChunk] {
        switch frame {
        case .synStream(let syn):
            streams[syn.streamID] = Self.channel(for: syn.headers)
            return []
        case .data(let id, let payload, let fin):
            guard let channel = streams[id] else { return [.raw(Array(bytes))] }
            var chunks: [StreamChunk] = []
            if !payload.isEmpty { chunks.append(StreamChunk(channel: channel, data: payload)) }
            if fin, let number = Self.channelNumber(channel) { chunks.append(StreamChunk(channel: "close", data: [number])) }
            return chunks
        case .unknownControl:
            return [.raw(Array(bytes))]
        case .synReply, .rstStream, .settings, .ping, .goAway, .headers, .windowUpdate:
            return []
        }
    }

    /// `stdin`, `stdout`, `stderr`, `error`, `resize` from the `streamtype` header; port-forward's
    /// `error` stream is `error`, its `data` streams (and anything else) `raw`.
    static func channel(for headers: SPDYHeaderBlock) -> String {
        if let type = RemoteCommandStreamType(headers: headers) { return type.channel.name }
        return headers[RemoteCommandStreamType.headerName] == "error" ? "error" : StreamChunk.raw
    }

    static func channelNumber(_ channel: String) -> UInt8? {
        StreamChannel.allCases.first { $0.name == channel && $0 != .close }?.rawValue
    }
}
