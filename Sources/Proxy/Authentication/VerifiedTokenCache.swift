import Crypto
import Synchronization

/// Identities of tokens verified before, keyed by the SHA-256 of the token (the token itself is never
/// stored), each until the token's `exp`.
///
/// Invariants: at most `capacity` entries; an expired entry is never returned; when full, expired
/// entries are dropped first, then the tenth that expire soonest. Only verified tokens are inserted.
final class VerifiedTokenCache: Sendable {
    private struct Entry: Sendable {
        var identity: VerifiedIdentity
        var expiresAt: Double
    }

    let capacity: Int
    private let entries = Mutex<[SHA256Digest: Entry]>([:])

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    static func key(for token: String) -> SHA256Digest {
        var token = token
        return token.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
    }

    /// The identity cached for `key`, if it has not expired at `now` (Unix seconds).
    func identity(for key: SHA256Digest, now: Double) -> VerifiedIdentity? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard now < entry.expiresAt else {
                entries[key] = nil
                return nil
            }
            return entry.identity
        }
    }

    /// Remembers `identity` until `expiresAt`; does nothing if that is not after `now`.
    func insert(_ identity: VerifiedIdentity, for key: SHA256Digest, expiresAt: Double, now: Double) {
        guard expiresAt > now else { return }
        entries.withLock { entries in
            if entries[key] == nil, entries.count >= capacity { Self.makeRoom(&entries, capacity: capacity, now: now) }
            entries[key] = Entry(identity: identity, expiresAt: expiresAt)
        }
    }

    var count: Int { entries.withLock { $0.count } }

    private static func makeRoom(_ entries: inout [SHA256Digest: Entry], capacity: Int, now: Double) {
        entries = entries.filter { now < $0.value.expiresAt }
        guard entries.count >= capacity else { return }
        let evictions = max(1, capacity / 10)
        for (key, _) in entries.sorted(by: { $0.value.expiresAt < $1.value.expiresAt }).prefix(evictions) {
            entries[key] = nil
        }
    }
}
