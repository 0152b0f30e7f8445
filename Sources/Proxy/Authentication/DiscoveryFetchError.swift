/// Why a discovery document or JWKS could not be fetched. The text names the URL and the failure;
/// it carries no response body.
struct DiscoveryFetchError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case invalidURL
        case insecureScheme
        case connect
        case tls
        case timeout
        case status(Int)
        case tooLarge
        case connectionClosed
    }

    var url: String
    var kind: Kind
    var detail: String

    init(url: String, kind: Kind, detail: String = "") {
        self.url = url
        self.kind = kind
        self.detail = detail
    }

    var description: String {
        let what: String = switch kind {
        case .invalidURL: "invalid URL"
        case .insecureScheme: "plain http is not allowed (allowInsecureHTTPIssuer is off)"
        case .connect: "cannot connect"
        case .tls: "TLS failed"
        case .timeout: "timed out"
        case .status(let code): "HTTP status \(code)"
        case .tooLarge: "response too large"
        case .connectionClosed: "connection closed before the response was complete"
        }
        return "GET \(url): \(what)" + (detail.isEmpty ? "" : " (\(detail))")
    }
}
