/// The WebSocket subprotocols of exec and attach whose messages this module frames.
public enum ChannelProtocol: String, Sendable, Hashable, CaseIterable {
    /// Adds the CLOSE channel (255) for half-closing a stream; the only one kubectl 1.30+ offers.
    case v5 = "v5.channel.k8s.io"
    /// Status as JSON on the error channel, and the resize channel.
    case v4 = "v4.channel.k8s.io"

    public var supportsClose: Bool { self == .v5 }

    /// The protocol to answer with, from the `Sec-WebSocket-Protocol` offers in order of the
    /// client's preference; `nil` when none is supported.
    public static func negotiate(_ offers: [String]) -> ChannelProtocol? {
        let offered = offers.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces() }
        return offered.lazy.compactMap(ChannelProtocol.init(rawValue:)).first
    }
}

/// The channel numbers of the streaming protocols: the first byte of every binary message.
public enum StreamChannel: UInt8, Sendable, Hashable, CaseIterable {
    case stdin = 0, stdout = 1, stderr = 2, error = 3, resize = 4
    /// v5 only: the payload is the one byte of the channel being half-closed.
    case close = 255
}

/// One binary WebSocket message of a channel protocol.
public enum ChannelMessage: Sendable, Hashable {
    case data(StreamChannel, [UInt8])
    /// v5's half-close of a channel.
    case close(StreamChannel)

    public func encoded() -> [UInt8] {
        switch self {
        case .data(let channel, let payload): [channel.rawValue] + payload
        case .close(let channel): [StreamChannel.close.rawValue, channel.rawValue]
        }
    }

    /// Decodes one binary message. An empty message, an unknown channel, or a close under a
    /// protocol without close, is an error naming what was wrong.
    public init(decoding message: some Collection<UInt8>, protocol proto: ChannelProtocol) throws(ChannelFramingError) {
        guard let first = message.first else { throw ChannelFramingError.emptyMessage }
        guard let channel = StreamChannel(rawValue: first) else { throw ChannelFramingError.unknownChannel(first) }
        let payload = Array(message.dropFirst())
        if channel == .close {
            guard proto.supportsClose else { throw ChannelFramingError.closeNotSupported(proto) }
            guard payload.count == 1, let closed = StreamChannel(rawValue: payload[0]), closed != .close else {
                throw ChannelFramingError.malformedClose(payload)
            }
            self = .close(closed)
        } else {
            self = .data(channel, payload)
        }
    }
}

public enum ChannelFramingError: Error, Sendable, Hashable, CustomStringConvertible {
    case emptyMessage
    case unknownChannel(UInt8)
    case closeNotSupported(ChannelProtocol)
    case malformedClose([UInt8])

    public var description: String {
        switch self {
        case .emptyMessage: "empty channel message: the first byte must be the channel number"
        case .unknownChannel(let c): "unknown stream channel \(c)"
        case .closeNotSupported(let p): "channel close (255) is not part of \(p.rawValue)"
        case .malformedClose(let payload): "malformed close message: payload \(payload) must be one channel number"
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
