import Proxy

/// Decodes both directions of one upgraded connection (exec, attach, port-forward) into chunks:
/// WebSocket or SPDY as the 101 said, or as the first bytes suggest. State is per request and, for
/// framing and compression, per direction.
final class UpgradeStreamDecoder {
    private var proto: UpgradeProtocol?
    private let isPortForward: Bool
    private let maxMessageBytes: Int
    private var webSocket: [StreamDirection: WebSocketChannelDecoder] = [:]
    private var spdy: SPDYChannelDecoder?

    init(protocol proto: UpgradeProtocol?, isPortForward: Bool, maxMessageBytes: Int) {
        self.proto = proto
        self.isPortForward = isPortForward
        self.maxMessageBytes = maxMessageBytes
    }

    func decode(_ bytes: [UInt8], direction: StreamDirection) -> [StreamChunk] {
        guard !bytes.isEmpty else { return [] }
        let proto = self.proto ?? UpgradeProtocol.sniff(bytes)
        self.proto = proto
        switch proto {
        case .spdy:
            let decoder = spdy ?? SPDYChannelDecoder()
            spdy = decoder
            return decoder.decode(bytes, direction: direction)
        case .webSocket(let subprotocol):
            var decoder = webSocket[direction]
                ?? WebSocketChannelDecoder(subprotocol: subprotocol, isPortForward: isPortForward, maxMessageBytes: maxMessageBytes)
            let chunks = decoder.decode(bytes)
            webSocket[direction] = decoder
            return chunks
        }
    }

    /// What is left in each direction when the connection ends.
    func finish() -> [(StreamDirection, StreamChunk)] {
        var out: [(StreamDirection, StreamChunk)] = []
        for direction in [StreamDirection.clientToUpstream, .upstreamToClient] {
            if var decoder = webSocket[direction] {
                out += decoder.finish().map { (direction, $0) }
                webSocket[direction] = decoder
            }
            if let spdy { out += spdy.finish(direction: direction).map { (direction, $0) } }
        }
        return out
    }
}
