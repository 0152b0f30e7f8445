import Foundation

extension AuthenticationConfiguration {
    /// Everything wrong with this configuration; empty when it can be used.
    public func validate() -> [AuthenticationConfigurationProblem] {
        var problems: [AuthenticationConfigurationProblem] = []
        func problem(_ field: String, _ message: String) {
            problems.append(AuthenticationConfigurationProblem(field: field, message: message))
        }
        if tokenHeader.isEmpty || !tokenHeader.utf8.allSatisfy(Self.isHeaderNameByte) {
            problem("tokenHeader", "\"\(tokenHeader)\" is not a valid HTTP header name")
        }
        if issuers.isEmpty { problem("issuers", "at least one issuer is required") }
        var seen: Set<String> = []
        for (index, issuer) in issuers.enumerated() {
            if !seen.insert(issuer.issuerURL).inserted {
                problem("issuers[\(index)].issuerURL", "\(issuer.issuerURL) is configured twice")
            }
            problems += issuer.validate(field: "issuers[\(index)]")
        }
        if jwksRefreshInterval <= .zero { problem("jwksRefreshInterval", "must be positive") }
        if jwksMinimumRefreshInterval < .zero { problem("jwksMinimumRefreshInterval", "must not be negative") }
        if fetchTimeout <= .zero { problem("fetchTimeout", "must be positive") }
        if maximumDocumentBytes < 1024 { problem("maximumDocumentBytes", "must be at least 1024") }
        if cacheCapacity < 1 { problem("cacheCapacity", "must be at least 1") }
        return problems
    }

    /// RFC 9110 `token` characters.
    private static func isHeaderNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

extension OIDCIssuerConfiguration {
    /// The problems of this issuer, with fields under `field`.
    func validate(field: String) -> [AuthenticationConfigurationProblem] {
        var problems: [AuthenticationConfigurationProblem] = []
        func problem(_ name: String, _ message: String) {
            problems.append(AuthenticationConfigurationProblem(field: "\(field).\(name)", message: message))
        }
        if let message = issuerURLProblem { problem("issuerURL", message) }
        if audiences.isEmpty { problem("audiences", "at least one audience (client id) is required") }
        if audiences.contains("") { problem("audiences", "an audience must not be empty") }
        if usernameClaim.isEmpty { problem("usernameClaim", "must not be empty") }
        if groupsClaim == "" { problem("groupsClaim", "must not be empty (leave it unset for no groups)") }
        if requiredClaims.keys.contains("") { problem("requiredClaims", "a claim name must not be empty") }
        if extraClaims.contains("") { problem("extraClaims", "a claim name must not be empty") }
        if Set(extraClaims).count != extraClaims.count { problem("extraClaims", "a claim is listed twice") }
        if runClaims.contains("") { problem("runClaims", "a claim name must not be empty") }
        if Set(runClaims).count != runClaims.count { problem("runClaims", "a claim is listed twice") }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            problem("caFile", "\(caFile) does not exist or is not readable")
        }
        if signingAlgorithms.isEmpty { problem("signingAlgorithms", "at least one algorithm is required") }
        for name in signingAlgorithms where OIDCSigningAlgorithm(rawValue: name) == nil {
            problem("signingAlgorithms", Self.algorithmProblem(name))
        }
        if clockSkew < .zero { problem("clockSkew", "must not be negative") }
        if clockSkew > .seconds(600) { problem("clockSkew", "must be at most 10 minutes") }
        return problems
    }

    private var issuerURLProblem: String? {
        let url: FetchURL
        do {
            url = try FetchURL(issuerURL)
        } catch {
            return error.description
        }
        if url.hasQuery || url.hasFragment { return "\(issuerURL) must not have a query or a fragment" }
        if !url.isHTTPS && !allowInsecureHTTPIssuer {
            return "\(issuerURL) must be https (plain http needs allowInsecureHTTPIssuer, for tests only)"
        }
        return nil
    }

    private static func algorithmProblem(_ name: String) -> String {
        let allowed = OIDCSigningAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
        if OIDCSigningAlgorithm.isHMAC(name) || OIDCSigningAlgorithm.isNone(name) {
            return "\(name) is refused: only public-key algorithms are allowed (\(allowed))"
        }
        return "\(name) is not supported (supported: \(allowed))"
    }
}
