import Foundation
import Kube
import NIOHTTP1

/// Builds the request the proxy sends upstream from the agent's: the agent's credential and any
/// impersonation it asked for are removed; the proxy's credential, the verified identity as
/// `Impersonate-*` headers and the `Audit-ID` are added. To a relay, the agent's token goes on
/// unchanged instead (``relayHead(from:source:auditID:bodyLength:)``).
enum UpstreamRequestBuilder {
    /// Headers that belong to one hop and are never forwarded (RFC 9110 §7.6.1), except that an
    /// upgrade keeps `Connection: Upgrade` and `Upgrade`.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                                        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]

    static func isImpersonation(_ name: String) -> Bool { name.lowercased().hasPrefix("impersonate-") }

    /// Headers that would tell the API server who the user is: impersonation, and the
    /// authenticating-proxy headers (`X-Remote-User`, `X-Remote-Group`, `X-Remote-Extra-*`) that a
    /// client certificate in `--requestheader-allowed-names` makes it trust. A client may send none.
    static func isIdentityHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("impersonate-") || lower.hasPrefix("x-remote-")
    }

    /// Headers between a gateway and its relay (``ReportedSource``): never taken from an agent,
    /// never sent to an API server.
    static func isRelayHeader(_ name: String) -> Bool { name.lowercased().hasPrefix("portcullis-") }

    static func head(from request: HTTPRequestHead, tokenHeader: String, identity: VerifiedIdentity, credential: UpstreamCredential,
                     auditID: String, bodyLength: Int) -> HTTPRequestHead {
        let tokenHeaderName = tokenHeader.lowercased()
        let isUpgrade = request.headers.contains(name: "upgrade")
        var headers = HTTPHeaders()
        for (name, value) in request.headers {
            let lower = name.lowercased()
            if lower == "authorization" || lower == tokenHeaderName || isIdentityHeader(lower) || lower == "audit-id" { continue }
            if lower == "content-length" || isRelayHeader(lower) { continue }
            if hopByHop.contains(lower), !(isUpgrade && (lower == "upgrade" || lower == "connection")) { continue }
            headers.add(name: name, value: value)
        }
        if case .bearerToken(let token) = credential { headers.add(name: "Authorization", value: "Bearer \(token)") }
        headers.add(name: "Impersonate-User", value: identity.username)
        for group in identity.groups { headers.add(name: "Impersonate-Group", value: group) }
        for key in identity.extra.keys.sorted() {
            for value in identity.extra[key] ?? [] {
                headers.add(name: "Impersonate-Extra-" + PercentDecoding.encodeQueryComponent(key), value: value)
            }
        }
        headers.add(name: "Audit-ID", value: auditID)
        if bodyLength > 0 || ["POST", "PUT", "PATCH"].contains(request.method.rawValue) {
            headers.add(name: "Content-Length", value: String(bodyLength))
        }
        return HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri, headers: headers)
    }

    /// The request a gateway sends its relay: the agent's own, token included and unchanged (the
    /// relay verifies it again), without identity or relay headers from the agent, with the
    /// agent's source as the gateway reports it and the `Audit-ID`. No credential of the gateway's
    /// and no impersonation: the relay adds its own.
    static func relayHead(from request: HTTPRequestHead, source: String, auditID: String, bodyLength: Int) -> HTTPRequestHead {
        let isUpgrade = request.headers.contains(name: "upgrade")
        var headers = HTTPHeaders()
        for (name, value) in request.headers {
            let lower = name.lowercased()
            if isIdentityHeader(lower) || isRelayHeader(lower) || lower == "audit-id" || lower == "content-length" { continue }
            if hopByHop.contains(lower), !(isUpgrade && (lower == "upgrade" || lower == "connection")) { continue }
            headers.add(name: name, value: value)
        }
        headers.add(name: ReportedSource.header, value: source)
        headers.add(name: "Audit-ID", value: auditID)
        if bodyLength > 0 || ["POST", "PUT", "PATCH"].contains(request.method.rawValue) {
            headers.add(name: "Content-Length", value: String(bodyLength))
        }
        return HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri, headers: headers)
    }

    /// Whether every identity value can be sent as a header value: a username, and no control
    /// characters anywhere (a claim with a line break would inject headers).
    static func isHeaderSafe(_ identity: VerifiedIdentity) -> Bool {
        guard !identity.username.isEmpty else { return false }
        let values = [identity.username] + identity.groups + identity.extra.keys + identity.extra.values.flatMap { $0 }
        return values.allSatisfy { $0.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F } }
    }

    /// The request's headers for the record: credentials redacted, everything else kept.
    static func redactedHeaders(_ headers: HTTPHeaders, tokenHeader: String) -> [(name: String, value: String)] {
        let secret: Set<String> = ["authorization", "cookie", "proxy-authorization", tokenHeader.lowercased()]
        return headers.map { name, value in (name, secret.contains(name.lowercased()) ? "[redacted]" : value) }
    }

    /// The agent's token from the configured header: `Authorization: Bearer TOKEN`, or the bare
    /// value of a custom header. Nil when missing or malformed (the authenticator's reading).
    static func token(in headers: HTTPHeaders, header: String) -> String? {
        try? AuthenticationConfiguration.token(from: headers, header: header).get()
    }
}
