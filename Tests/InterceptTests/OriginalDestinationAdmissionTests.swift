import Glibc
import Testing

@testable import Intercept

/// RedirectAdmission: which original destinations the gateway proxies, and the reason for each refusal.
@Suite struct OriginalDestinationAdmissionTests {
    static let admission: RedirectAdmission = {
        do {
            return try RedirectAdmission(
                endpoints: [.literal("198.18.0.2", 6443), .literal("fd00:5043::2", 6443), .literal("10.0.0.9", 443)],
                gatewayAddresses: [.v4(127, 0, 0, 1), IPAddress("::1")!, .v4(172, 17, 0, 1)],
                gatewayPort: 15443)
        } catch {
            fatalError("\(error)")
        }
    }()

    static func notConfigured(_ endpoint: String) -> String {
        "original destination \(endpoint) is not a configured API endpoint"
    }

    @Test("decisions", arguments: [
        // admitted: exactly the configured endpoints
        ("198.18.0.2", 6443, RedirectAdmission.Decision.admit(.literal("198.18.0.2", 6443))),
        ("fd00:5043::2", 6443, .admit(.literal("fd00:5043::2", 6443))),
        ("10.0.0.9", 443, .admit(.literal("10.0.0.9", 443))),
        // an IPv4-mapped destination is its IPv4 form
        ("::ffff:198.18.0.2", 6443, .admit(.literal("198.18.0.2", 6443))),
        ("::ffff:10.0.0.9", 22, .refuse(reason: notConfigured("10.0.0.9:22"))),
        // anything else an API address or port
        ("10.0.0.9", 22, .refuse(reason: "original destination 10.0.0.9:22 is not a configured API endpoint")),
        ("198.18.0.2", 6444, .refuse(reason: notConfigured("198.18.0.2:6444"))),
        ("198.18.0.3", 6443, .refuse(reason: notConfigured("198.18.0.3:6443"))),
        ("fd00:5043::3", 6443, .refuse(reason: notConfigured("[fd00:5043::3]:6443"))),
        // the gateway itself, on each of its addresses, mapped too
        ("127.0.0.1", 15443, .refuse(reason: RedirectAdmission.gatewayItselfReason)),
        ("::1", 15443, .refuse(reason: RedirectAdmission.gatewayItselfReason)),
        ("::ffff:127.0.0.1", 15443, .refuse(reason: RedirectAdmission.gatewayItselfReason)),
        ("172.17.0.1", 15443, .refuse(reason: RedirectAdmission.gatewayItselfReason)),
        // the gateway's port on an address it does not listen on is merely not an endpoint
        ("127.0.0.2", 15443, .refuse(reason: notConfigured("127.0.0.2:15443"))),
    ] as [(String, UInt16, RedirectAdmission.Decision)])
    func decision(_ address: String, _ port: UInt16, _ expected: RedirectAdmission.Decision) throws {
        let original = SocketEndpoint(try #require(IPAddress(address)), port: port)
        #expect(Self.admission.decide(originalDestination: original) == expected)
        #expect(Self.admission.decide(.success((try #require(IPAddress(address)), port))) == expected)
    }

    @Test("the reasons read as the gateway's refusal records will")
    func reasonTexts() {
        #expect(RedirectAdmission.gatewayItselfReason
            == "original destination is the gateway's own port: a direct connection to the gateway")
        #expect(RedirectAdmission.notRedirectedReason == "connection was not redirected (no original destination)")
    }

    @Test("not redirected, and an unknown original destination, are refused")
    func lookupFailures() {
        #expect(Self.admission.decide(originalDestination: nil) == .refuse(reason: "connection was not redirected (no original destination)"))
        let notRedirected = OriginalDestinationError.notRedirected(connection: "127.0.0.1:15443 <- 127.0.0.1:40000", errno: ENOENT)
        #expect(Self.admission.decide(.failure(notRedirected)) == .refuse(reason: RedirectAdmission.notRedirectedReason))
        let selfDestination = OriginalDestinationError.notRedirected(connection: "127.0.0.1:15443 <- 127.0.0.1:40000", errno: nil)
        #expect(Self.admission.decide(.failure(selfDestination)) == .refuse(reason: RedirectAdmission.notRedirectedReason))
        let failed = OriginalDestinationError.systemCallFailed(call: "getsockopt(SOL_IP, SO_ORIGINAL_DST)", errno: ENOPROTOOPT,
                                                               connection: "127.0.0.1:15443 <- 127.0.0.1:40000")
        #expect(Self.admission.decide(.failure(failed)) == .refuse(reason:
            "original destination unknown: getsockopt(SOL_IP, SO_ORIGINAL_DST) failed: Protocol not available (errno 92) "
            + "on connection 127.0.0.1:15443 <- 127.0.0.1:40000"))
    }

    @Test("a wildcard listener makes every address on the gateway's port the gateway, in both families")
    func wildcardListener() throws {
        let admission = try RedirectAdmission(endpoints: [.literal("198.18.0.2", 6443)], gatewayAddresses: [IPAddress("::")!],
                                              gatewayPort: 15443)
        #expect(admission.decide(originalDestination: .literal("10.1.2.3", 15443)) == .refuse(reason: RedirectAdmission.gatewayItselfReason))
        #expect(admission.decide(originalDestination: .literal("fd00::7", 15443)) == .refuse(reason: RedirectAdmission.gatewayItselfReason))
        #expect(admission.decide(originalDestination: .literal("198.18.0.2", 6443)) == .admit(.literal("198.18.0.2", 6443)))
    }

    @Test("a configuration whose endpoint is the gateway's own listener, or without endpoints, is rejected")
    func badConfigurations() {
        #expect(throws: RedirectAdmission.ConfigurationError(description:
            "API endpoint 127.0.0.1:15443 is the gateway's own listener (port 15443): it would redirect the gateway into itself")) {
            try RedirectAdmission(endpoints: [.literal("198.18.0.2", 6443), .literal("::ffff:127.0.0.1", 15443)],
                                  gatewayAddresses: [.v4(127, 0, 0, 1)], gatewayPort: 15443)
        }
        #expect(throws: RedirectAdmission.ConfigurationError.self) {
            try RedirectAdmission(endpoints: [], gatewayAddresses: [.v4(127, 0, 0, 1)], gatewayPort: 15443)
        }
    }

    @Test("mapped and plain IPv4 endpoints are one endpoint")
    func mappedEquality() {
        #expect(SocketEndpoint.literal("::ffff:198.18.0.2", 6443) == .literal("198.18.0.2", 6443))
        #expect(SocketEndpoint.literal("::ffff:198.18.0.2", 6443).description == "198.18.0.2:6443")
        #expect(SocketEndpoint.literal("fd00:5043::2", 6443).description == "[fd00:5043::2]:6443")
        #expect(Set([SocketEndpoint.literal("::ffff:10.0.0.1", 1), .literal("10.0.0.1", 1)]).count == 1)
    }
}
