/// The `streamtype` header of the SPDY streams exec and attach open, one stream per channel
/// (`k8s.io/api/core/v1` StreamType*); `port-forward`'s `data` and `error` streams are not covered.
public enum RemoteCommandStreamType: String, Sendable, Hashable, CaseIterable {
    case error, stdin, stdout, stderr, resize

    /// The header naming the stream's role in SYN_STREAM (sent by Go as `Streamtype`, lowercased on the wire).
    public static let headerName = "streamtype"

    /// The WebSocket channel carrying the same bytes.
    public var channel: StreamChannel {
        switch self {
        case .stdin: .stdin
        case .stdout: .stdout
        case .stderr: .stderr
        case .error: .error
        case .resize: .resize
        }
    }

    /// The stream type a SYN_STREAM's headers declare, if it is one of these.
    public init?(headers: SPDYHeaderBlock) {
        guard let value = headers[Self.headerName] else { return nil }
        self.init(rawValue: value)
    }
}

extension ChannelProtocol {
    /// The `X-Stream-Protocol-Version` header of a SPDY/3.1 upgrade.
    public static let spdyHeaderName = "X-Stream-Protocol-Version"

    /// The protocol to answer a SPDY/3.1 exec or attach upgrade with, from the repeated
    /// `X-Stream-Protocol-Version` offers (comma-separated lists are accepted too).
    ///
    /// v4 whenever offered, as the kubelet chooses (its SPDY server knows v4 down to v1); otherwise
    /// v5, which over SPDY behaves exactly as v4 (client-go's `streamProtocolV5` is v4). `nil` when
    /// neither is offered.
    public static func negotiateSPDY(_ offers: [String]) -> ChannelProtocol? {
        let offered = Set(offers.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces() })
        if offered.contains(ChannelProtocol.v4.rawValue) { return .v4 }
        if offered.contains(ChannelProtocol.v5.rawValue) { return .v5 }
        return nil
    }
}
