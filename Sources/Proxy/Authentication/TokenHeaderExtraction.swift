import NIOHTTP1

extension AuthenticationConfiguration {
    /// The token a request carries in ``tokenHeader``, or why there is none.
    ///
    /// `Authorization` must hold exactly one `Bearer <token>` value (the scheme in any case); a custom
    /// header holds the bare token. Two headers of that name are refused rather than guessed between.
    public func token(from headers: HTTPHeaders) -> Result<String, OIDCRejection> {
        let values = headers[tokenHeader]
        guard let value = values.first else { return .failure(.missingToken) }
        guard values.count == 1 else { return .failure(.malformedTokenHeader("more than one \(tokenHeader) header")) }
        let trimmed = value.trimmingASCIISpaces()
        guard usesBearerScheme else { return trimmed.isEmpty ? .failure(.missingToken) : .success(trimmed) }
        let scheme = trimmed.prefix(while: { $0 != " " })
        guard scheme.lowercased() == "bearer" else {
            return .failure(.malformedTokenHeader("\(tokenHeader) is not a Bearer token"))
        }
        let token = trimmed.dropFirst(scheme.count).trimmingASCIISpaces()
        return token.isEmpty ? .failure(.missingToken) : .success(token)
    }
}

extension StringProtocol {
    fileprivate func trimmingASCIISpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
