import Crypto

/// What the record keeps of a bearer token: the first 16 hex digits (64 bits) of its SHA-256.
/// Enough to tell an agent's tokens apart and to match a token someone holds against the record;
/// nothing that helps to use or rebuild it.
public enum TokenFingerprint {
    public static let hexDigits = 16

    public static func of(_ token: String) -> String {
        let digest = SHA256.hash(data: Array(token.utf8))
        return digest.prefix(hexDigits / 2).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
