import Foundation

/// The requests kubectl reports at `-v=6`, one per round trip, in the order it sent them.
///
/// kubectl 1.27 to 1.32 write `round_trippers.go:N] GET https://host/path?query 200 OK in 3 milliseconds`;
/// 1.33 writes `round_trippers.go:N] "Response" verb="GET" url="https://host/path?query" status="200 OK" ...`.
/// A request that got no response (a connection error) has status 0.
public struct KubectlRoundTrip: Sendable, Hashable, CustomStringConvertible {
    public var method: String
    /// The path and query, as kube-apiserver's audit `requestURI` has it.
    public var requestURI: String
    public var status: Int

    public init(method: String, requestURI: String, status: Int) {
        self.method = method
        self.requestURI = requestURI
        self.status = status
    }

    public var description: String { "\(method) \(requestURI) \(status)" }

    /// Every round trip in kubectl's `-v=6` standard error.
    public static func parse(_ standardError: String) -> [KubectlRoundTrip] {
        standardError.split(separator: "\n").compactMap { parse(line: String($0)) }
    }

    static func parse(line: String) -> KubectlRoundTrip? {
        guard let marker = line.range(of: #"round_trippers\.go:\d+\] "#, options: .regularExpression) else { return nil }
        let rest = String(line[marker.upperBound...])
        if rest.hasPrefix("\"Response\"") {
            guard let method = quoted("verb", in: rest), let url = quoted("url", in: rest), let status = quoted("status", in: rest) else {
                return nil
            }
            return KubectlRoundTrip(method: method, requestURI: requestURI(url), status: Int(status.prefix { $0.isNumber }) ?? 0)
        }
        let words = rest.split(separator: " ", maxSplits: 3)
        guard words.count >= 3, words[0].allSatisfy(\.isUppercase), words[1].hasPrefix("http") else { return nil }
        return KubectlRoundTrip(method: String(words[0]), requestURI: requestURI(String(words[1])), status: Int(words[2]) ?? 0)
    }

    private static func quoted(_ key: String, in text: String) -> String? {
        guard let start = text.range(of: "\(key)=\"") else { return nil }
        let value = text[start.upperBound...]
        return value.firstIndex(of: "\"").map { String(value[..<$0]) }
    }

    private static func requestURI(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let slash = url[scheme.upperBound...].firstIndex(of: "/") else { return url }
        return String(url[slash...])
    }
}
