import Kube
import Logging

/// The usable signing keys of one issuer, parsed from its JWKS one key at a time.
///
/// A key is skipped (with a debug log line) when the verifier cannot or must not use it: no `kid`, a
/// symmetric (`oct`) or unknown `kty`, `use` other than `sig`, `key_ops` without `verify`, an `alg` that
/// is not allowed or does not fit the key, or parameters jwt-kit cannot load. One bad key never
/// spoils the others. A key without `alg` is offered for every allowed algorithm its type supports.
struct IssuerKeySet: Sendable {
    let keys: [SigningKey]

    static let empty = IssuerKeySet(keys: [])

    /// Which keys may verify a token with `keyID` (if any) signed with `algorithm`.
    enum Lookup: Sendable {
        case candidates([SigningKey])
        case unknownKeyID
        case algorithmMismatch
        case noKeyForAlgorithm
    }

    func lookup(keyID: String?, algorithm: OIDCSigningAlgorithm) -> Lookup {
        guard let keyID else {
            let matching = keys.filter { $0.algorithm == algorithm }
            return matching.isEmpty ? .noKeyForAlgorithm : .candidates(matching)
        }
        let named = keys.filter { $0.keyID == keyID }
        if named.isEmpty { return .unknownKeyID }
        let matching = named.filter { $0.algorithm == algorithm }
        return matching.isEmpty ? .algorithmMismatch : .candidates(matching)
    }

    /// Parses a JWKS document. Throws only when the document itself is not `{"keys": [...]}`.
    static func parse(_ bytes: [UInt8], allowed: [OIDCSigningAlgorithm], logger: Logger) async throws(JWKSError) -> IssuerKeySet {
        guard let document = try? JSONParser.parse(bytes), let entries = document["keys"]?.arrayValue else {
            throw JWKSError(problem: "not a JSON object with a keys array")
        }
        var keys: [SigningKey] = []
        for (index, entry) in entries.enumerated() {
            switch await usableKeys(entry, allowed: allowed, existing: keys) {
            case .success(let usable):
                keys += usable
            case .failure(let skip):
                logger.debug("skipping a JWKS key", metadata: ["index": "\(index)", "kid": "\(entry["kid"]?.stringValue ?? "-")",
                                                               "reason": "\(skip.problem)"])
            }
        }
        return IssuerKeySet(keys: keys)
    }

    private static func usableKeys(_ entry: JSONValue, allowed: [OIDCSigningAlgorithm],
                                   existing: [SigningKey]) async -> Result<[SigningKey], JWKSError> {
        guard let object = entry.objectValue else { return .failure(JWKSError(problem: "not an object")) }
        let algorithms: [OIDCSigningAlgorithm]
        switch algorithmsFor(object, allowed: allowed) {
        case .failure(let skip): return .failure(skip)
        case .success(let usable): algorithms = usable
        }
        guard let keyID = object["kid"]?.stringValue, !keyID.isEmpty else { return .failure(JWKSError(problem: "no kid")) }
        let parameters = object.compactMapValues(\.stringValue)
        var keys: [SigningKey] = []
        for algorithm in algorithms where !existing.contains(where: { $0.keyID == keyID && $0.algorithm == algorithm }) {
            do {
                keys.append(try await SigningKey.make(keyID: keyID, algorithm: algorithm, jwk: parameters))
            } catch {
                return .failure(JWKSError(problem: "malformed \(algorithm.rawValue) key: \(error)"))
            }
        }
        return keys.isEmpty ? .failure(JWKSError(problem: "duplicate kid")) : .success(keys)
    }

    /// The allowed algorithms this key may verify, or why it must be skipped.
    private static func algorithmsFor(_ object: [String: JSONValue],
                                      allowed: [OIDCSigningAlgorithm]) -> Result<[OIDCSigningAlgorithm], JWKSError> {
        guard let keyType = object["kty"]?.stringValue else { return .failure(JWKSError(problem: "no kty")) }
        if keyType == "oct" { return .failure(JWKSError(problem: "symmetric (oct) key")) }
        if let use = object["use"], use.stringValue != "sig" {
            return .failure(JWKSError(problem: "not a signature key (use \(use.stringValue ?? "?"))"))
        }
        if let operations = object["key_ops"] {
            guard operations.arrayValue?.contains(.string("verify")) == true else {
                return .failure(JWKSError(problem: "key_ops does not include verify"))
            }
        }
        let curve = object["crv"]?.stringValue
        let fitting = allowed.filter { $0.keyType == keyType && ($0.curve == nil || $0.curve == curve) }
        guard let declared = object["alg"] else {
            return fitting.isEmpty ? .failure(JWKSError(problem: "no allowed algorithm for kty \(keyType)")) : .success(fitting)
        }
        guard let name = declared.stringValue, let algorithm = OIDCSigningAlgorithm(rawValue: name) else {
            return .failure(JWKSError(problem: "alg \(declared.stringValue ?? "?") is not usable"))
        }
        return fitting.contains(algorithm) ? .success([algorithm])
            : .failure(JWKSError(problem: "alg \(name) is not allowed or does not fit the key"))
    }
}

/// A JWKS, or one key of it, that cannot be used.
struct JWKSError: Error, Sendable, Hashable, CustomStringConvertible {
    var problem: String
    var description: String { problem }
}
