import Foundation
import Kube
import NIOCore
@testable import Proxy
import Synchronization
import Testing
import TestSupport

/// The verified-token cache: the hot path answers a known token synchronously with no cryptography,
/// until the token's exp, and tokens never share an entry.
@Suite struct OIDCCacheTests {
    static func identity(_ name: String) -> VerifiedIdentity {
        VerifiedIdentity(username: name, issuer: "https://issuer.example", subject: name)
    }

    @Test("entries are keyed by SHA-256, expire at exp, and the size is bounded")
    func cacheUnit() {
        let cache = VerifiedTokenCache(capacity: 10)
        let a = VerifiedTokenCache.key(for: "token-a")
        let b = VerifiedTokenCache.key(for: "token-b")
        #expect(a != b)
        cache.insert(Self.identity("a"), for: a, expiresAt: 1_000, now: 0)
        cache.insert(Self.identity("b"), for: b, expiresAt: 2_000, now: 0)
        #expect(cache.identity(for: a, now: 999.9)?.username == "a")
        #expect(cache.identity(for: b, now: 999.9)?.username == "b")
        #expect(cache.identity(for: a, now: 1_000) == nil)
        #expect(cache.count == 1)
        cache.insert(Self.identity("late"), for: VerifiedTokenCache.key(for: "late"), expiresAt: 50, now: 50)
        #expect(cache.count == 1)
        for index in 0..<25 {
            cache.insert(Self.identity("t\(index)"), for: VerifiedTokenCache.key(for: "t\(index)"),
                         expiresAt: 3_000 + Double(index), now: 1_500)
        }
        #expect(cache.count <= 10)
        // The ones expiring soonest were evicted; the latest one is kept.
        #expect(cache.identity(for: VerifiedTokenCache.key(for: "t24"), now: 1_500)?.username == "t24")
        #expect(cache.identity(for: b, now: 1_500) == nil)
    }
}

@Suite(.enabled(if: PythonTools.shouldRunTests, Comment(rawValue: PythonTools.missingMessage)))
struct OIDCCacheEndToEndTests {
    @Test("a verified token is answered from the cache: no second verification, an already completed future")
    func cacheHitIsSynchronous() async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration()], clock: clock)
            let token = try await issuer.mint(tokenSpec(claims: issuer.claims(now: clock.now)))
            let first = try await OIDCTestSupport.outcome(authenticator, token)
            #expect(OIDCTestSupport.identity(first) != nil)
            #expect(authenticator.statistics.signatureVerifications == 1)

            let loop = OIDCTestSupport.group.next()
            let completedInline = try await loop.submit { () -> Bool in
                let future = authenticator.authenticate(token: token, on: loop)
                var completed = false
                future.assumeIsolated().whenComplete { _ in completed = true }
                return completed
            }.get()
            #expect(completedInline, "a cache hit must return an already succeeded future")
            for _ in 0..<100 { #expect(try await OIDCTestSupport.outcome(authenticator, token) == first) }
            let statistics = authenticator.statistics
            #expect(statistics.signatureVerifications == 1 && statistics.cacheHits == 101 && statistics.tokensVerified == 1)
            #expect(try await issuer.requestCounts().jwks == 1)
        }
    }

    @Test("a cached token expires at its exp: then it is verified again, and refused beyond the skew")
    func cacheEntryExpiresAtExp() async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let exp = Int64(clock.now) + 100
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration(clockSkew: .seconds(30))], clock: clock)
            let token = try await issuer.mint(tokenSpec(claims: issuer.claims(now: clock.now, ["exp": .int(exp)])))
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, token))?.expiresAt
                == KubeTime(seconds: exp))
            clock.advance(by: 99)
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, token)) != nil)
            #expect(authenticator.statistics.cacheHits == 1 && authenticator.statistics.signatureVerifications == 1)
            clock.advance(by: 1)  // exactly exp: no longer cached, but within the skew
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, token)) != nil)
            #expect(authenticator.statistics.cacheHits == 1 && authenticator.statistics.signatureVerifications == 2)
            #expect(authenticator.cachedTokenCount == 0, "a token past its exp is not cached again")
            clock.advance(by: 30)
            #expect(try await OIDCTestSupport.outcome(authenticator, token)
                == .rejected(reason: "token expired at \(KubeTime(seconds: exp).rfc3339)"))
        }
    }

    @Test("different tokens never share an entry")
    func tokensDoNotCollide() async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration()], clock: clock)
            let subjects = (0..<5).map { "agent-\($0)" }
            let tokens = try await issuer.mint(subjects.map { tokenSpec(claims: issuer.claims(now: clock.now, ["sub": .string($0)])) })
            for _ in 0..<3 {
                for (token, subject) in zip(tokens, subjects) {
                    #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, token))?.subject == subject)
                }
            }
            #expect(authenticator.statistics.signatureVerifications == 5 && authenticator.statistics.cacheHits == 10)
            #expect(authenticator.cachedTokenCount == 5)
        }
    }

    @Test("the cache is bounded by cacheCapacity")
    func cacheIsBounded() async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration()], clock: clock, cacheCapacity: 3)
            let tokens = try await issuer.mint((0..<8).map { tokenSpec(claims: issuer.claims(now: clock.now, ["jti": .string("t\($0)")])) })
            for token in tokens { #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, token)) != nil) }
            #expect(authenticator.cachedTokenCount <= 3)
        }
    }

    /// Median wall time of `body` over `count` runs, in microseconds.
    static func median(_ count: Int, _ body: () async throws -> Void) async rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            try await body()
            let elapsed = ContinuousClock.now - start
            samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
        }
        return samples.sorted()[count / 2]
    }

    @Test("a cache hit costs a small fraction of a full verification")
    func cacheHitCost() async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration()], clock: clock)
            let count = 200
            let tokens = try await issuer.mint((0...count).map {
                tokenSpec(claims: issuer.claims(now: clock.now, ["jti": .string("t\($0)")]))
            })
            _ = try await OIDCTestSupport.outcome(authenticator, tokens[count])  // loads the keys
            let loop = OIDCTestSupport.group.next()
            var index = 0
            let full = try await Self.median(count) {
                let outcome = try await authenticator.authenticate(token: tokens[index], on: loop).get()
                index += 1
                #expect(OIDCTestSupport.identity(outcome) != nil)
            }
            let hit = try await Self.median(count) {
                let outcome = try await authenticator.authenticate(token: tokens[0], on: loop).get()
                #expect(OIDCTestSupport.identity(outcome) != nil)
            }
            // On the event loop itself, without the hop back into the test's task.
            let onLoop = try await loop.submit { () -> Double in
                let start = ContinuousClock.now
                for _ in 0..<10_000 { _ = authenticator.authenticate(token: tokens[0], on: loop) }
                let elapsed = ContinuousClock.now - start
                return (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / 10_000
            }.get()
            print("OIDC cost: full RS256 verification median \(full) µs; cache hit median \(hit) µs (awaited), "
                + "\(onLoop) µs (on the event loop)")
            #expect(authenticator.statistics.signatureVerifications == count + 1)
            #expect(onLoop * 5 < full, "cache hit \(onLoop) µs vs full verification \(full) µs")
        }
    }
}
