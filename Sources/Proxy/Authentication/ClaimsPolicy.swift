import Kube

/// The claim checks and the identity mapping of one issuer, as kube-apiserver applies them.
///
/// Everything here is cheap and runs before any signature work; its result is trusted only once a
/// key of the same issuer has verified the signature.
struct ClaimsPolicy: Sendable {
    let issuer: OIDCIssuerConfiguration
    let usernamePrefix: String
    let groupsPrefix: String
    let skewSeconds: Double

    init(_ issuer: OIDCIssuerConfiguration) {
        self.issuer = issuer
        self.usernamePrefix = issuer.effectiveUsernamePrefix
        self.groupsPrefix = issuer.effectiveGroupsPrefix
        let (seconds, attoseconds) = issuer.clockSkew.components
        self.skewSeconds = Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The identity the token claims, with its expiry (Unix seconds), if every check passes at `now`.
    func check(_ claims: [String: JSONValue], now: Double) -> Result<(VerifiedIdentity, Double), OIDCRejection> {
        let expiry: Double
        switch checkTimes(claims, now: now) {
        case .failure(let rejection): return .failure(rejection)
        case .success(let exp): expiry = exp
        }
        if let rejection = checkAudience(claims) ?? checkRequiredClaims(claims) { return .failure(rejection) }
        return mapIdentity(claims, expiry: expiry).map { ($0, expiry) }
    }

    /// `exp` (required), `nbf` and `iat`, each with the clock skew. Returns `exp`.
    func checkTimes(_ claims: [String: JSONValue], now: Double) -> Result<Double, OIDCRejection> {
        guard let expValue = claims["exp"], !expValue.isNull else { return .failure(.missingExpiry) }
        guard let exp = Self.numericDate(expValue) else { return .failure(.malformed("exp is not a number")) }
        if now >= exp + skewSeconds { return .failure(.expired(at: Self.wholeSeconds(exp))) }
        if let nbfValue = claims["nbf"], !nbfValue.isNull {
            guard let nbf = Self.numericDate(nbfValue) else { return .failure(.malformed("nbf is not a number")) }
            if now + skewSeconds < nbf { return .failure(.notYetValid(until: Self.wholeSeconds(nbf))) }
        }
        if let iatValue = claims["iat"], !iatValue.isNull {
            guard let iat = Self.numericDate(iatValue) else { return .failure(.malformed("iat is not a number")) }
            if iat > now + skewSeconds { return .failure(.issuedInFuture(at: Self.wholeSeconds(iat))) }
        }
        return .success(exp)
    }

    /// `aud`, a string or an array of strings, must contain one of the configured audiences.
    func checkAudience(_ claims: [String: JSONValue]) -> OIDCRejection? {
        let audiences: [String]
        switch claims["aud"] {
        case .string(let single)?: audiences = [single]
        case .array(let values)?: audiences = values.compactMap(\.stringValue)
        default: audiences = []
        }
        return audiences.contains(where: issuer.audiences.contains) ? nil : .wrongAudience(expected: issuer.audiences)
    }

    /// Each required claim must be present and equal (as a string) to its configured value.
    func checkRequiredClaims(_ claims: [String: JSONValue]) -> OIDCRejection? {
        for (name, value) in issuer.requiredClaims.sorted(by: { $0.key < $1.key }) {
            guard let claim = claims[name], !claim.isNull else { return .requiredClaimMissing(name) }
            guard claim.stringValue == value else { return .requiredClaimMismatch(name) }
        }
        return nil
    }

    /// Username, groups and extras with the issuer's prefixes, as kube-apiserver maps them.
    func mapIdentity(_ claims: [String: JSONValue], expiry: Double) -> Result<VerifiedIdentity, OIDCRejection> {
        let claim = issuer.usernameClaim
        guard let value = claims[claim], !value.isNull else { return .failure(.missingUsernameClaim(claim)) }
        guard let name = value.stringValue else { return .failure(.usernameClaimNotString(claim)) }
        guard !name.isEmpty else { return .failure(.missingUsernameClaim(claim)) }
        if claim == "email", let verified = claims["email_verified"], verified.boolValue != true {
            return .failure(.emailNotVerified)
        }
        let username = usernamePrefix + name
        if username.hasPrefix("system:") { return .failure(.reservedUsername(username)) }
        var groups: [String] = []
        if let groupsClaim = issuer.groupsClaim, let value = claims[groupsClaim], !value.isNull {
            guard let names = Self.strings(value) else { return .failure(.groupsClaimInvalid(groupsClaim)) }
            groups = names.map { groupsPrefix + $0 }
            if let reserved = groups.first(where: { $0.hasPrefix("system:") }) { return .failure(.reservedGroup(reserved)) }
        }
        var extra: [String: [String]] = [:]
        for name in issuer.extraClaims {
            guard let value = claims[name], !value.isNull else { continue }
            guard let values = Self.strings(value) else { return .failure(.extraClaimInvalid(name)) }
            extra[name] = values
        }
        return .success(VerifiedIdentity(username: username, groups: groups, extra: extra, issuer: issuer.issuerURL,
                                         subject: claims["sub"]?.stringValue ?? "",
                                         expiresAt: KubeTime(seconds: Self.wholeSeconds(expiry)), runClaims: runClaims(claims)))
    }

    /// The configured run claims the token holds, as text: strings as they are, numbers and
    /// booleans as JSON writes them; other values (objects, arrays, null) are left out. Each is
    /// cut at 256 characters, so a token cannot make the record hold much.
    func runClaims(_ claims: [String: JSONValue]) -> [String: String] {
        var found: [String: String] = [:]
        for name in issuer.runClaims {
            let text: String
            switch claims[name] {
            case .string(let value)?: text = value
            case .int(let value)?: text = String(value)
            case .double(let value)? where value.isFinite: text = JSONValue.double(value).jsonString
            case .bool(let value)?: text = value ? "true" : "false"
            default: continue
            }
            found[name] = String(text.prefix(256))
        }
        return found
    }

    /// A string as one value, or an array whose every element is a string.
    static func strings(_ value: JSONValue) -> [String]? {
        switch value {
        case .string(let single): return [single]
        case .array(let values):
            let strings = values.compactMap(\.stringValue)
            return strings.count == values.count ? strings : nil
        default: return nil
        }
    }

    /// A JWT NumericDate: seconds since the epoch, integral or not.
    static func numericDate(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let seconds): Double(seconds)
        case .double(let seconds) where seconds.isFinite: seconds
        default: nil
        }
    }

    /// Whole seconds, clamped to years 1970 through 9999 so that a hostile value cannot overflow ``KubeTime``.
    static func wholeSeconds(_ seconds: Double) -> Int64 {
        Int64(min(max(seconds, 0), latestSeconds).rounded(.down))
    }

    /// 9999-12-31T23:59:59Z.
    static let latestSeconds: Double = 253_402_300_799
}
