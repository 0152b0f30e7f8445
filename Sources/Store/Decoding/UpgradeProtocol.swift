/// What an upgraded connection speaks, from the 101 response (and the request as a fallback).
enum UpgradeProtocol: Sendable, Hashable {
    /// WebSocket with the negotiated subprotocol (`v5.channel.k8s.io`, `base64.channel.k8s.io`,
    /// `SPDY/3.1+portforward.k8s.io`, ...), nil when none was named.
    case webSocket(subprotocol: String?)
    /// SPDY/3.1 with the chosen `X-Stream-Protocol-Version`.
    case spdy(version: String?)

    static func detect(response: [(name: String, value: String)], request: [(name: String, value: String)]) -> UpgradeProtocol? {
        func value(_ name: String, in headers: [(name: String, value: String)]) -> String? {
            headers.first { $0.name.lowercased() == name }?.value
        }
        let upgrade = (value("upgrade", in: response) ?? value("upgrade", in: request))?.lowercased() ?? ""
        if upgrade.contains("websocket") {
            let chosen = value("sec-websocket-protocol", in: response)?.trimmingCharacters(in: [" ", "\t"])
            return .webSocket(subprotocol: chosen.flatMap { $0.isEmpty ? nil : $0 })
        }
        if upgrade.hasPrefix("spdy") {
            return .spdy(version: value("x-stream-protocol-version", in: response))
        }
        return nil
    }

    /// Guesses from the first bytes when the headers said nothing: a SPDY/3 control frame starts
    /// 0x80 0x03; anything else is taken for WebSocket.
    static func sniff(_ bytes: [UInt8]) -> UpgradeProtocol {
        bytes.count >= 2 && bytes[0] == 0x80 && bytes[1] == 0x03 ? .spdy(version: nil) : .webSocket(subprotocol: nil)
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
