import Foundation
import Kube

/// Turns the WebSocket messages of one direction of an exec/attach stream into channel chunks.
///
/// - `v1`–`v5.channel.k8s.io`: binary messages whose first byte is the channel; v5's 255 is a
///   half-close (`close`, data = the closed channel's number).
/// - `base64.channel.k8s.io` and `v4.base64.channel.k8s.io`: text messages, an ASCII digit for
///   the channel and base64 payload, decoded.
/// - port-forward subprotocols and anything unknown: each message's bytes as `raw`.
/// Control frames are skipped. A message longer than `maxMessageBytes` is recorded in pieces on
/// its channel. Bytes that are not WebSocket frames are kept as `raw`, never dropped.
struct WebSocketChannelDecoder {
    enum Framing: Sendable, Hashable {
        case binaryChannels(ChannelProtocol)
        case base64Channels
        case raw
    }

    let framing: Framing
    let maxMessageBytes: Int
    private var parser = WebSocketFrameParser()
    private var failed = false
    private var message: [UInt8] = []
    private var messageOpcode: UInt8 = 2
    /// Set once part of an oversized message went out: the rest continues on this channel.
    private var continuing: String?

    init(subprotocol: String?, isPortForward: Bool, maxMessageBytes: Int) {
        self.maxMessageBytes = max(2, maxMessageBytes)
        let name = subprotocol?.lowercased() ?? ""
        if isPortForward || name.contains("portforward") {
            framing = .raw
        } else if name.contains("base64") {
            framing = .base64Channels
        } else if name == ChannelProtocol.v4.rawValue || name == "channel.k8s.io" || name == "v2.channel.k8s.io"
                    || name == "v3.channel.k8s.io" {
            framing = .binaryChannels(.v4)
        } else {
            // v5, or not named: v5 decodes every v4 message too.
            framing = .binaryChannels(.v5)
        }
    }

    mutating func decode(_ bytes: [UInt8]) -> [StreamChunk] {
        if failed { return [.raw(bytes)] }
        let (pieces, invalid) = parser.feed(bytes)
        var chunks: [StreamChunk] = []
        for piece in pieces {
            guard case .data(let opcode, let payload, let first, let last) = piece else { continue }
            if first {
                message = []
                continuing = nil
                messageOpcode = opcode
            }
            message += payload
            if last {
                chunks += finishMessage()
            } else if message.count >= maxMessageBytes {
                chunks += flushPart()
            }
        }
        if let invalid {
            failed = true
            chunks += finishMessage()
            chunks.append(.raw(invalid.remaining))
        }
        return chunks
    }

    /// At the end of the stream: an unfinished message as it is.
    mutating func finish() -> [StreamChunk] {
        guard !message.isEmpty else { return [] }
        return flushPart()
    }

    private mutating func finishMessage() -> [StreamChunk] {
        defer {
            message = []
            continuing = nil
        }
        if let continuing { return message.isEmpty ? [] : [StreamChunk(channel: continuing, data: message)] }
        return [decodeWhole(message)]
    }

    /// Sends out the part of a long message gathered so far.
    private mutating func flushPart() -> [StreamChunk] {
        defer { message = [] }
        if let continuing { return [StreamChunk(channel: continuing, data: message)] }
        let chunk = decodeWhole(message)
        continuing = chunk.channel
        return [chunk]
    }

    private func decodeWhole(_ bytes: [UInt8]) -> StreamChunk {
        switch framing {
        case .raw:
            return .raw(bytes)
        case .binaryChannels(let proto):
            guard messageOpcode == 2, let decoded = try? ChannelMessage(decoding: bytes, protocol: proto) else { return .raw(bytes) }
            switch decoded {
            case .data(let channel, let payload): return StreamChunk(channel: channel.name, data: payload)
            case .close(let channel): return StreamChunk(channel: "close", data: [channel.rawValue])
            }
        case .base64Channels:
            guard let first = bytes.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9"),
                  let channel = StreamChannel(rawValue: first - UInt8(ascii: "0")),
                  let payload = Data(base64Encoded: Data(bytes.dropFirst())) else { return .raw(bytes) }
            return StreamChunk(channel: channel.name, data: [UInt8](payload))
        }
    }
}

extension StreamChannel {
    /// The name a stream event records: `stdin`, `stdout`, `stderr`, `error`, `resize`, `close`.
    var name: String {
        switch self {
        case .stdin: "stdin"
        case .stdout: "stdout"
        case .stderr: "stderr"
        case .error: "error"
        case .resize: "resize"
        case .close: "close"
        }
    }
}
