import Crypto
import Foundation
import Intercept
import NIOSSL
import SwiftASN1
import X509

/// Mints a serving certificate for one destination and wraps it in a server-side TLS context.
///
/// The leaf: a fresh P-256 key (never the CA key); subject O=Portcullis gateway, CN=<destination>;
/// SANs = the destination IP first, then the configured names (and the name a client asked for, when
/// ``RequestedNameCertificates`` mints for it); basicConstraints CA:FALSE and keyUsage
/// digitalSignature (both critical); extendedKeyUsage serverAuth; authorityKeyIdentifier = the CA's
/// subject key identifier (Go's crypto/x509 matches issuers by it); no subject key identifier (as
/// mitmproxy, for SChannel). Validity: from `now - backdating` to `now + lifetime`, both clamped to the
/// CA's own validity.
struct ServingCertificateMinter: Sendable {
    let authority: GatewayCertificateAuthority
    let configuration: ServingCertificateConfiguration
    /// The CA certificate and its further chain, converted for NIOSSL once.
    let servedAbove: [NIOSSLCertificate]

    init(authority: GatewayCertificateAuthority, configuration: ServingCertificateConfiguration) throws(TLSCertificateError) {
        self.authority = authority
        self.configuration = configuration
        do {
            self.servedAbove = try authority.chain.map { try NIOSSLCertificate(bytes: try Self.der($0), format: .der) }
        } catch {
            throw TLSCertificateError(.minting, "cannot prepare the gateway CA chain for TLS: \(error)")
        }
    }

    /// A leaf for `destination` and `names` (which must not repeat the destination), with its key.
    func mintLeaf(destination: IPAddress, names: [ServingName], now: Date) throws(TLSCertificateError) -> MintedLeaf {
        let ca = authority.certificate
        guard now >= ca.notValidBefore, now <= ca.notValidAfter else {
            throw TLSCertificateError(.notValidNow,
                "cannot mint a serving certificate for \(destination): the gateway CA (subject \(ca.subject)) "
                + (now < ca.notValidBefore ? "is not valid until \(ca.notValidBefore)" : "expired at \(ca.notValidAfter)"))
        }
        let sans = [ServingName(destination)] + names
        let key = P256.Signing.PrivateKey()
        let leaf = try makeLeaf(destination: destination, sans: sans, key: key, now: now)
        let served: NIOSSLCertificate, privateKey: NIOSSLPrivateKey
        do {
            served = try NIOSSLCertificate(bytes: try Self.der(leaf), format: .der)
            privateKey = try NIOSSLPrivateKey(bytes: Array(key.derRepresentation), format: .der)
        } catch {
            throw TLSCertificateError(.minting, "cannot prepare the serving certificate for \(destination) for TLS: \(error)")
        }
        // Whole seconds: certificate times have no fractions either.
        let lifetime = min(now.addingTimeInterval(configuration.lifetime), ca.notValidAfter).timeIntervalSince(now)
        let untilRenewal = (lifetime * (1 - configuration.renewalFraction)).rounded()
        return MintedLeaf(leaf: leaf, chain: [leaf] + authority.chain, servedChain: [served] + servedAbove, key: privateKey,
                          names: sans, mintedAt: now, renewalDate: now.addingTimeInterval(untilRenewal))
    }

    /// The leaf and its context for `destination` and `names` (which must not repeat the destination).
    /// `serverNameCallback`, when given, may present another leaf for the name a client asks for.
    func mint(destination: IPAddress, names: [ServingName], now: Date,
              serverNameCallback: NIOSSLContextCallback? = nil) throws(TLSCertificateError) -> ServingCertificate {
        let minted = try mintLeaf(destination: destination, names: names, now: now)
        let context = try makeContext(minted, destination: destination, serverNameCallback: serverNameCallback)
        return ServingCertificate(context: context, leaf: minted.leaf, chain: minted.chain, names: minted.names,
                                  mintedAt: minted.mintedAt, renewalDate: minted.renewalDate)
    }

    func makeLeaf(destination: IPAddress, sans: [ServingName], key: P256.Signing.PrivateKey,
                  now: Date) throws(TLSCertificateError) -> Certificate {
        let ca = authority.certificate
        do {
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(key.publicKey),
                notValidBefore: max(now.addingTimeInterval(-configuration.backdating), ca.notValidBefore),
                notValidAfter: min(now.addingTimeInterval(configuration.lifetime), ca.notValidAfter),
                issuer: ca.subject,
                subject: try DistinguishedName {
                    OrganizationName("Portcullis gateway")
                    CommonName(destination.description)
                },
                signatureAlgorithm: authority.keyAlgorithm.signatureAlgorithm,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(sans.map(Self.generalName))
                    AuthorityKeyIdentifier(keyIdentifier: authority.subjectKeyIdentifier)
                },
                issuerPrivateKey: authority.privateKey)
        } catch {
            throw TLSCertificateError(.minting, "cannot mint a serving certificate for \(destination): \(error)")
        }
    }

    func makeContext(_ minted: MintedLeaf, destination: IPAddress,
                     serverNameCallback: NIOSSLContextCallback?) throws(TLSCertificateError) -> NIOSSLContext {
        do {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: minted.servedChain.map { .certificate($0) },
                privateKey: .privateKey(minted.key))
            configuration.minimumTLSVersion = .tlsv12
            configuration.applicationProtocols = self.configuration.applicationProtocols
            configuration.sslContextCallback = serverNameCallback
            if !self.configuration.clientCertificateRoots.isEmpty {
                // Mutual TLS (the relay): the client's chain must reach one of these roots; its
                // name is the relay's business, not the TLS layer's.
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates(self.configuration.clientCertificateRoots)
                configuration.sendCANameList = true
            }
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSCertificateError(.minting, "cannot create the TLS context for \(destination): \(error)")
        }
    }

    static func generalName(_ name: ServingName) -> GeneralName {
        switch name {
        case .dns(let text): .dnsName(text)
        case .ip(let address): .ipAddress(ASN1OctetString(contentBytes: ArraySlice(address.bytes)))
        }
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
