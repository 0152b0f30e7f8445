import NIOHTTP1

extension AuthenticationConfiguration {
    /// The token a request carries in ``tokenHeader``, or why there is none.
    ///
    /// `Authorization` must hold exactly one `Bearer <token>` value (the scheme in any case); a custom
    /// header holds the bare token. Two headers of that name are refused rather than guessed between.
    public func token(from headers: HTTPHeaders) -> Result<String, OIDCRejection> {
        Self.token(from: headers, header: tokenHeader)
    }

    /// ``token(from:)`` for a header named `header`. Runs for every request, on the event loop: it
    /// trims ASCII spaces on the UTF-8 bytes and never goes through Foundation's `NSString`.
    static func token(from headers: HTTPHeaders, header: String) -> Result<String, OIDCRejection> {
        let values = headers[header]
        guard let value = values.first else { return .failure(.missingToken) }
        guard values.count == 1 else { return .failure(.malformedTokenHeader("more than one \(header) header")) }
        let trimmed = value.utf8.trimmingASCIISpaces()
        guard header.lowercased() == "authorization" else {
            return trimmed.isEmpty ? .failure(.missingToken) : .success(String(Substring(trimmed)))
        }
        let scheme = trimmed.prefix(while: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") })
        guard scheme.count == 6, String(Substring(scheme)).lowercased() == "bearer" else {
            return .failure(.malformedTokenHeader("\(header) is not a Bearer token"))
        }
        let token = trimmed[scheme.endIndex...].trimmingASCIISpaces()
        return token.isEmpty ? .failure(.missingToken) : .success(String(Substring(token)))
    }
}

extension Substring.UTF8View {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingASCIISpaces() -> Substring.UTF8View {
        let isSpace: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        return self[first...last]
    }
}

extension String.UTF8View {
    fileprivate func trimmingASCIISpaces() -> Substring.UTF8View { self[...].trimmingASCIISpaces() }
}
