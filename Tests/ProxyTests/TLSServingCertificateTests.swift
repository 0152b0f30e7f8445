import Crypto
import Foundation
import Intercept
import NIOSSL
import Proxy
import Synchronization
import Testing
import TestSupport
import X509

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { self.now } }
}

/// Minted serving certificates: names, extensions, validity, caching and renewal.
@Suite("Serving certificates")
struct TLSServingCertificateTests {
    static let authority = Result { try GatewayCertificateAuthority.generate(hostname: "runner") }

    func store(clock: ManualClock = ManualClock(),
               configuration: ServingCertificateConfiguration = .init()) throws -> ServingCertificateStore {
        try ServingCertificateStore(authority: try Self.authority.get(), configuration: configuration, clock: clock.function)
    }

    // MARK: Names

    @Test("IPv4 destination plus names: SANs are the destination IP, then the DNS names, then other IPs, each once")
    func sansForIPv4() throws {
        let served = try store().servingCertificate(
            destination: IPAddress("10.96.0.1")!,
            serverNames: ["kubernetes.default.svc", "KUBERNETES", "192.168.1.5", "kubernetes.", "10.96.0.1", "api.example.test"])
        #expect(try subjectAlternativeNames(served.leaf) == [
            "IP:10.96.0.1", "DNS:api.example.test", "DNS:kubernetes", "DNS:kubernetes.default.svc", "IP:192.168.1.5",
        ])
        #expect(served.names.map(\.description) == ["10.96.0.1", "api.example.test", "kubernetes",
                                                     "kubernetes.default.svc", "192.168.1.5"])
    }

    @Test("IPv6 destination: a 16-byte IP SAN; an IPv4-mapped destination gets the IPv4 SAN its client dialled")
    func sansForIPv6() throws {
        let store = try store()
        let v6 = try store.servingCertificate(destination: IPAddress("fd00:10::1")!, serverNames: ["api.example.test", "fd00::53"])
        #expect(try subjectAlternativeNames(v6.leaf) == ["IP:fd00:10::1", "DNS:api.example.test", "IP:fd00::53"])
        let octets = try #require(try v6.leaf.extensions.subjectAlternativeNames?.first)
        guard case .ipAddress(let bytes) = octets else { Issue.record("first SAN is \(octets)"); return }
        #expect(bytes.bytes.count == 16)

        let mapped = try store.servingCertificate(destination: IPAddress("::ffff:10.0.0.7")!, serverNames: [])
        #expect(try subjectAlternativeNames(mapped.leaf) == ["IP:10.0.0.7"])
    }

    @Test("a server name that is neither a DNS name nor an IP is refused, naming it")
    func invalidServerNames() throws {
        let store = try store()
        for bad in ["", "bad name", "-x.example", "x..example", "exa_mple.com", String(repeating: "a", count: 64) + ".example",
                    "*", "a.*.example"] {
            let error = #expect(throws: TLSCertificateError.self) {
                _ = try store.sslContext(destination: IPAddress("10.0.0.1")!, serverNames: [bad])
            }
            #expect(error?.kind == .invalidServerName, "\(bad)")
            #expect(error?.message.contains("\"\(bad)\"") == true)
        }
        _ = try store.sslContext(destination: IPAddress("10.0.0.1")!, serverNames: ["*.example.test", "a-b.c0.example"])
    }

    // MARK: Extensions

    @Test("the leaf: serverAuth only, not a CA, AKI equals the CA's SKI, its own P-256 key, signed by the CA")
    func leafExtensions() throws {
        let authority = try Self.authority.get()
        let served = try store().servingCertificate(destination: IPAddress("10.0.0.1")!, serverNames: ["kubernetes"])
        let leaf = served.leaf
        let eku = try #require(try leaf.extensions.extendedKeyUsage)
        #expect(Array(eku) == [.serverAuth])
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.keyUsage == KeyUsage(digitalSignature: true))
        let aki = try #require(try leaf.extensions.authorityKeyIdentifier)
        let caSKI = try #require(try authority.certificate.extensions.subjectKeyIdentifier)
        #expect(aki.keyIdentifier == caSKI.keyIdentifier)
        #expect(leaf.issuer == authority.certificate.subject)
        #expect(authority.certificate.publicKey.isValidSignature(leaf.signature, for: leaf))
        #expect(leaf.publicKey != authority.certificate.publicKey)
        #expect(P256.Signing.PublicKey(leaf.publicKey) != nil)
        #expect(leaf.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(served.chain == [leaf, authority.certificate])
        // Each mint has a fresh key.
        let other = try store().servingCertificate(destination: IPAddress("10.0.0.1")!, serverNames: ["kubernetes"])
        #expect(other.leaf.publicKey != leaf.publicKey)
    }

    @Test("an RSA intermediate signs leaves with sha256WithRSAEncryption and the chain includes what the operator supplied")
    func rsaIntermediateSigns() async throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-rsa")
        defer { directory.remove() }
        let cluster = try await OpenSSLCluster.make(in: directory)
        let withRoot = try directory.write(try String(contentsOfFile: cluster.intermediateCertificate, encoding: .utf8)
            + (try String(contentsOfFile: cluster.rootCertificate, encoding: .utf8)), to: "chain.crt")
        let authority = try GatewayCertificateAuthority.load(certificatePath: withRoot, keyPath: cluster.intermediateKey)
        let served = try ServingCertificateStore(authority: authority)
            .servingCertificate(destination: IPAddress("10.0.0.1")!, serverNames: [])
        #expect(served.leaf.signatureAlgorithm == .sha256WithRSAEncryption)
        #expect(authority.certificate.publicKey.isValidSignature(served.leaf.signature, for: served.leaf))
        #expect(served.chain.count == 3)
        #expect(served.chain.dropFirst().elementsEqual(authority.chain))
    }

    // MARK: Validity

    @Test("validity: from 5 minutes before minting for 3 days by default; a configured lifetime is honoured")
    func validity() throws {
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded(.down))
        let clock = ManualClock(start)
        let leaf = try store(clock: clock).servingCertificate(destination: IPAddress("10.0.0.1")!, serverNames: []).leaf
        #expect(leaf.notValidBefore == start.addingTimeInterval(-300))
        #expect(leaf.notValidAfter == start.addingTimeInterval(3 * 86_400))

        let hour = try store(clock: clock, configuration: .init(lifetime: 3_600))
            .servingCertificate(destination: IPAddress("10.0.0.1")!, serverNames: [])
        #expect(hour.leaf.notValidAfter == start.addingTimeInterval(3_600))
        #expect(hour.renewalDate == start.addingTimeInterval(2_400))
    }

    @Test("a leaf never outlives its CA, and minting fails once the CA has expired")
    func clampedToCA() throws {
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let authority = try GatewayCertificateAuthority.generate(hostname: "h", validity: 86_400, now: now)
        let clock = ManualClock(now)
        let store = try ServingCertificateStore(authority: authority, clock: clock.function)
        let served = try store.servingCertificate(destination: IPAddress("10.0.0.1")!, serverNames: [])
        #expect(served.leaf.notValidAfter == authority.certificate.notValidAfter)
        clock.advance(by: 86_400 + 1)
        let error = #expect(throws: TLSCertificateError.self) {
            _ = try store.sslContext(destination: IPAddress("10.0.0.1")!, serverNames: [])
        }
        #expect(error?.kind == .notValidNow)
        #expect(error?.message.contains("expired") == true)
    }

    @Test("nonsensical configurations are refused")
    func configurationValidated() throws {
        for configuration in [ServingCertificateConfiguration(lifetime: 30), .init(renewalFraction: 0), .init(renewalFraction: 1),
                              .init(backdating: -1), .init(maximumCachedContexts: 0)] {
            #expect(throws: TLSCertificateError.self) { _ = try store(configuration: configuration) }
        }
    }

    // MARK: Caching and renewal

    @Test("the same destination and names return the identical context; other names or destinations do not")
    func cacheHits() throws {
        let store = try store()
        let destination = IPAddress("10.0.0.1")!
        let first = try store.sslContext(destination: destination, serverNames: ["a.example", "b.example"])
        let again = try store.sslContext(destination: destination, serverNames: ["a.example", "b.example"])
        let reordered = try store.sslContext(destination: destination, serverNames: ["B.example", "a.example", "a.example"])
        #expect(first === again)
        #expect(first === reordered)
        let otherNames = try store.sslContext(destination: destination, serverNames: ["a.example"])
        let otherDestination = try store.sslContext(destination: IPAddress("10.0.0.2")!, serverNames: ["a.example", "b.example"])
        #expect(first !== otherNames)
        #expect(first !== otherDestination)
        #expect(store.cachedCount == 3)
    }

    @Test("renewal: the same context until less than a third of the lifetime is left, then a new one that is cached in turn")
    func renewal() throws {
        let clock = ManualClock()
        let store = try store(clock: clock)
        let destination = IPAddress("10.0.0.1")!
        let first = try store.servingCertificate(destination: destination, serverNames: ["kubernetes"])
        #expect(first.renewalDate == first.mintedAt.addingTimeInterval(2 * 86_400))

        clock.advance(by: 2 * 86_400 - 1)
        let beforeThreshold = try store.servingCertificate(destination: destination, serverNames: ["kubernetes"])
        #expect(beforeThreshold.context === first.context)

        clock.advance(by: 1)
        let renewed = try store.servingCertificate(destination: destination, serverNames: ["kubernetes"])
        #expect(renewed.context !== first.context)
        #expect(renewed.leaf.serialNumber != first.leaf.serialNumber)
        #expect(renewed.leaf.notValidAfter == first.leaf.notValidAfter.addingTimeInterval(2 * 86_400))
        #expect(try subjectAlternativeNames(renewed.leaf) == subjectAlternativeNames(first.leaf))

        let next = try store.servingCertificate(destination: destination, serverNames: ["kubernetes"])
        #expect(next.context === renewed.context)
        #expect(store.cachedCount == 1)
    }

    @Test("a clock moved backwards before a leaf's validity gets a new leaf")
    func clockMovedBack() throws {
        let clock = ManualClock()
        let store = try store(clock: clock)
        let first = try store.sslContext(destination: IPAddress("10.0.0.1")!, serverNames: [])
        clock.advance(by: -600)  // beyond the 5 minutes of backdating, within the CA's validity
        let second = try store.sslContext(destination: IPAddress("10.0.0.1")!, serverNames: [])
        #expect(first !== second)
    }

    @Test("the cache is bounded: the oldest entries go first")
    func cacheBounded() throws {
        let clock = ManualClock()
        let store = try store(clock: clock, configuration: .init(maximumCachedContexts: 2))
        let first = try store.sslContext(destination: IPAddress("10.0.0.1")!, serverNames: [])
        clock.advance(by: 1)
        let second = try store.sslContext(destination: IPAddress("10.0.0.2")!, serverNames: [])
        clock.advance(by: 1)
        _ = try store.sslContext(destination: IPAddress("10.0.0.3")!, serverNames: [])
        #expect(store.cachedCount == 2)
        #expect(try store.sslContext(destination: IPAddress("10.0.0.2")!, serverNames: []) === second)
        #expect(try store.sslContext(destination: IPAddress("10.0.0.1")!, serverNames: []) !== first)
    }

    @Test("calls from many threads at once all get a context, and the cache ends with one entry")
    func concurrentCalls() async throws {
        let store = try store()
        let destination = IPAddress("10.0.0.1")!
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<25 { _ = try store.sslContext(destination: destination, serverNames: ["kubernetes"]) }
                }
            }
            try await group.waitForAll()
        }
        #expect(store.cachedCount == 1)
        let settled = try store.sslContext(destination: destination, serverNames: ["kubernetes"])
        #expect(try store.sslContext(destination: destination, serverNames: ["kubernetes"]) === settled)
    }
}
