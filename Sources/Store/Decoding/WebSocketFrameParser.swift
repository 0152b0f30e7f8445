/// Reads the WebSocket frames (RFC 6455) one side of a connection sent, incrementally, and hands
/// out message payload as it arrives: unmasked, with fragmented messages marked from their first
/// piece to their last. Control frames (close, ping, pong) come out whole and separately.
///
/// Memory is bounded by the caller: payload is handed out per frame and per feed, never gathered
/// here beyond a control frame (at most 125 bytes).
struct WebSocketFrameParser {
    enum Piece: Sendable, Hashable {
        /// Part of a text (opcode 1) or binary (opcode 2) message.
        case data(opcode: UInt8, bytes: [UInt8], first: Bool, last: Bool)
        case control(opcode: UInt8, payload: [UInt8])
    }

    /// What the parser could not read: the reason, and every byte from the bad frame's header on.
    struct Invalid: Sendable, Hashable {
        var reason: String
        var remaining: [UInt8]
    }

    private struct Frame {
        var opcode: UInt8
        var fin: Bool
        var mask: [UInt8]?
        var remaining: UInt64
        var offset: Int = 0
        var isControl: Bool { opcode & 0x8 != 0 }
    }

    private var header: [UInt8] = []
    private var frame: Frame?
    /// The opcode of a fragmented message in progress, and whether its first piece went out.
    private var message: (opcode: UInt8, started: Bool)?
    private var control: [UInt8] = []

    mutating func feed(_ bytes: [UInt8]) -> (pieces: [Piece], invalid: Invalid?) {
        var pieces: [Piece] = []
        var index = 0
        while index < bytes.count {
            guard var current = frame else {
                header.append(bytes[index])
                index += 1
                switch parseHeader() {
                case .needMore:
                    continue
                case .invalid(let reason):
                    let remaining = header + bytes[index...]
                    header = []
                    return (pieces, Invalid(reason: reason, remaining: remaining))
                case .frame(let parsed):
                    header = []
                    frame = parsed
                    if parsed.remaining == 0 { endFrame(into: &pieces) }
                }
                continue
            }
            let count = Int(min(current.remaining, UInt64(bytes.count - index)))
            var payload = Array(bytes[index..<(index + count)])
            if let mask = current.mask {
                for i in payload.indices { payload[i] ^= mask[(current.offset + i) & 3] }
            }
            index += count
            current.offset += count
            current.remaining -= UInt64(count)
            frame = current
            if current.isControl {
                control += payload
            } else if let open = message, !payload.isEmpty {
                pieces.append(.data(opcode: open.opcode, bytes: payload, first: !open.started, last: false))
                message?.started = true
            }
            if current.remaining == 0 { endFrame(into: &pieces) }
        }
        return (pieces, nil)
    }

    private mutating func endFrame(into pieces: inout [Piece]) {
        guard let ended = frame else { return }
        frame = nil
        if ended.isControl {
            pieces.append(.control(opcode: ended.opcode, payload: control))
            control = []
            return
        }
        guard ended.fin, let open = message else { return }
        pieces.append(.data(opcode: open.opcode, bytes: [], first: !open.started, last: true))
        message = nil
    }

    private enum HeaderResult {
        case needMore
        case invalid(String)
        case frame(Frame)
    }

    private mutating func parseHeader() -> HeaderResult {
        guard header.count >= 2 else { return .needMore }
        let fin = header[0] & 0x80 != 0
        let opcode = header[0] & 0x0F
        guard header[0] & 0x70 == 0 else { return .invalid("reserved bits set (an extension this recorder does not decode)") }
        let masked = header[1] & 0x80 != 0
        var length = UInt64(header[1] & 0x7F)
        var needed = 2 + (masked ? 4 : 0)
        if length == 126 { needed += 2 } else if length == 127 { needed += 8 }
        guard header.count >= needed else { return .needMore }
        var cursor = 2
        if length == 126 {
            length = UInt64(header[2]) << 8 | UInt64(header[3])
            cursor = 4
        } else if length == 127 {
            length = header[2..<10].reduce(0) { $0 << 8 | UInt64($1) }
            cursor = 10
            guard length >> 63 == 0 else { return .invalid("frame length has its top bit set") }
        }
        let mask = masked ? Array(header[cursor..<(cursor + 4)]) : nil
        switch opcode {
        case 0x8, 0x9, 0xA:
            guard fin, length <= 125 else { return .invalid("control frame \(opcode) fragmented or longer than 125 bytes") }
        case 0x1, 0x2:
            guard message == nil else { return .invalid("a new message began before the fragmented one ended") }
            message = (opcode, false)
        case 0x0:
            guard message != nil else { return .invalid("a continuation frame with no message to continue") }
        default:
            return .invalid("reserved opcode \(opcode)")
        }
        return .frame(Frame(opcode: opcode, fin: fin, mask: mask, remaining: length))
    }
}
