import Foundation
import Intercept
import NIOSSL
import Testing
import X509

@testable import Proxy

/// Leaves for host names clients ask for (SNI) that the configuration does not list: which names
/// qualify, that a leaf is reused while fresh, and that the cache stays bounded.
@Suite("Requested server names")
struct TLSRequestedNameTests {
    static let authority = Result { try GatewayCertificateAuthority.generate(hostname: "runner") }
    static let destination = IPAddress("198.18.0.2")!

    func certificates(limit: Int = 4, clock: ManualClock = ManualClock()) throws -> RequestedNameCertificates {
        let minter = try ServingCertificateMinter(authority: try Self.authority.get(), configuration: .init())
        return RequestedNameCertificates(minter: minter, limit: limit, clock: clock.function, logger: .init(label: "test"))
    }

    /// The DER of the leaf an override presents, or nil for no changes.
    func presentedLeaf(_ override: NIOSSLContextConfigurationOverride) throws -> [UInt8]? {
        guard let first = override.certificateChain?.first else { return nil }
        guard case .certificate(let certificate) = first else { Issue.record("not a certificate: \(first)"); return nil }
        return try certificate.toDERBytes()
    }

    @Test("host names qualify, lowercased and without a trailing dot; IP literals, wildcards and malformed names do not")
    func whichNamesQualify() {
        #expect(RequestedServerName.parse("API.Example.Test.") == .dns("api.example.test"))
        #expect(RequestedServerName.parse("k8s-1234abcd.hcp.westeurope.azmk8s.io") == .dns("k8s-1234abcd.hcp.westeurope.azmk8s.io"))
        #expect(RequestedServerName.parse("kubernetes") == .dns("kubernetes"))
        for bad in ["", "198.18.0.2", "10.0.0.1.", "::1", "*.example.test", "a.*.test", "bad_name.example", "x..example",
                    "-x.example", "with space.example", "\u{0}.example", "exämple.test", String(repeating: "a", count: 64) + ".test",
                    Array(repeating: "abcdefgh", count: 32).joined(separator: ".")] {
            #expect(RequestedServerName.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("no SNI, an unusable name and a configured name present the destination's own leaf")
    func noChanges() throws {
        let certificates = try certificates()
        let configured: [ServingName] = [.dns("kubernetes.default.svc")]
        for name in [nil, "*.example.test", "198.18.0.2", "KUBERNETES.default.svc"] {
            let override = certificates.override(serverName: name, destination: Self.destination, configured: configured)
            #expect(try presentedLeaf(override) == nil, "\(name ?? "no SNI")")
        }
        #expect(certificates.cachedCount == 0)
    }

    @Test("a requested name gets a leaf for it, the destination and the configured names, reused while fresh")
    func leafForARequestedName() throws {
        let clock = ManualClock()
        let certificates = try certificates(clock: clock)
        let configured: [ServingName] = [.dns("kubernetes.default.svc")]
        let first = certificates.override(serverName: "api.example.test", destination: Self.destination, configured: configured)
        let der = try #require(try presentedLeaf(first))
        let leaf = try Certificate(derEncoded: der)
        #expect(try subjectAlternativeNames(leaf) == ["IP:198.18.0.2", "DNS:api.example.test", "DNS:kubernetes.default.svc"])
        #expect(first.certificateChain?.count == 2, "the leaf, then the gateway CA")
        #expect(first.privateKey != nil)
        let again = certificates.override(serverName: "Api.Example.Test.", destination: Self.destination, configured: configured)
        #expect(try presentedLeaf(again) == der)
        clock.advance(by: 3 * 86_400)
        let renewed = certificates.override(serverName: "api.example.test", destination: Self.destination, configured: configured)
        #expect(try presentedLeaf(renewed) != der, "a stale leaf is replaced")
        #expect(certificates.cachedCount == 1)
    }

    @Test("the cache keeps at most its limit, dropping the oldest")
    func cacheIsBounded() throws {
        let clock = ManualClock()
        let certificates = try certificates(limit: 3, clock: clock)
        var leaves: [String: [UInt8]] = [:]
        for index in 0..<10 {
            clock.advance(by: 1)
            let name = "name-\(index).example.test"
            let override = certificates.override(serverName: name, destination: Self.destination, configured: [])
            leaves[name] = try presentedLeaf(override)
            #expect(certificates.cachedCount == min(index + 1, 3))
        }
        let newest = certificates.override(serverName: "name-9.example.test", destination: Self.destination, configured: [])
        #expect(try presentedLeaf(newest) == leaves["name-9.example.test"], "the newest is still cached")
        let oldest = certificates.override(serverName: "name-0.example.test", destination: Self.destination, configured: [])
        #expect(try presentedLeaf(oldest) != leaves["name-0.example.test"], "the oldest was dropped and is minted again")
    }
}
