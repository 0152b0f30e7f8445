/// Replaces the values of credential headers, matching names in any case.
public struct HeaderRedactor: Sendable, Hashable {
    private let names: Set<String>

    public init(_ configuration: RedactionConfiguration) {
        var names = Set(configuration.headers.map { $0.lowercased() })
        if let token = configuration.tokenHeader, !token.isEmpty { names.insert(token.lowercased()) }
        self.names = names
    }

    public func redact(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        guard !names.isEmpty else { return headers }
        return headers.map { names.contains($0.name.lowercased()) ? ($0.name, RedactionConfiguration.placeholder) : $0 }
    }
}
