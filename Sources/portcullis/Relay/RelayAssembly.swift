import Foundation
import Intercept
import Logging
import NIOCore
import NIOSSL
import Proxy
import SwiftASN1
import X509

/// Builds a relay from its configuration: the same ``ProxyServices`` a gateway's proxy has (OIDC,
/// policy, recorder, the clusters with their CAs and the relay's credentials), and the relay's own
/// TLS: a serving certificate from its CA that requires a gateway certificate from the same CA
/// and names each cluster as an ALPN protocol (``RelayProtocol``). Every problem names the file or
/// field.
enum RelayAssembly {
    struct Parts {
        var services: ProxyServices
        var relay: RelayServices
        var authenticator: OIDCAuthenticator
    }

    static func parts(_ configuration: GatewayConfiguration, relay section: RelaySection, endpoints: ResolvedEndpoints,
                      recorder: any ProxyRecorder, policy: AccessPolicy, reviews: ReviewQueue, roster: GatewayRoster,
                      group: any EventLoopGroup, logger: Logger) throws -> Parts {
        let path = configuration.path
        guard let tls = configuration.tls else {
            throw ProxyAssembly.fail(path, "tls", "the section is required to run the relay (its CA: it signs the gateways' certificates and its own)")
        }
        guard let authentication = configuration.authentication else {
            throw ProxyAssembly.fail(path, "authentication", "the section is required to run the relay: it verifies every agent's token itself")
        }
        let authority: GatewayCertificateAuthority
        let root: NIOSSLCertificate
        do {
            authority = try GatewayCertificateAuthority.load(certificatePath: tls.caCertificate, keyPath: tls.caKey)
            var serializer = DER.Serializer()
            try serializer.serialize(authority.certificate)
            root = try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
        } catch {
            throw ProxyAssembly.fail(path, "tls", "\(error)")
        }
        var clusters: [ClusterUpstream] = []
        for cluster in configuration.clusters {
            clusters.append(try ProxyAssembly.cluster(cluster, endpoints: endpoints, path: path))
        }
        let serving = ServingCertificateConfiguration(lifetime: Double(tls.certificateLifetime.components.seconds), clientCertificateRoots: [root],
                                                      applicationProtocols: clusters.map { RelayProtocol.name(cluster: $0.name) })
        let store = try ServingCertificateStore(authority: authority, configuration: serving, logger: Logger(label: "portcullis.tls"))
        let authenticator: OIDCAuthenticator
        do {
            authenticator = try OIDCAuthenticator(configuration: authentication, eventLoopGroup: group, logger: Logger(label: "portcullis.oidc"))
        } catch {
            throw ProxyAssembly.fail(path, "authentication", "\(error)")
        }
        var proxy = ProxyConfiguration(port: section.listen[0].port, listenAddresses: section.listen.map(\.address), clusters: clusters,
                                       tokenHeader: authentication.tokenHeader, recordedBodyLimit: configuration.store.bodyLimit,
                                       limits: section.clientLimits)
        proxy.forwardReadsWhileRecording = configuration.central?.mode != .required
        do {
            let services = try ProxyServices(configuration: proxy, authenticator: authenticator, servingContexts: store, recorder: recorder,
                                             policy: policy, reviews: reviews, attribution: nil, logger: logger)
            return Parts(services: services, relay: RelayServices(roster: roster, servingContexts: store, serverNames: section.serverNames),
                         authenticator: authenticator)
        } catch {
            throw ProxyAssembly.fail(path, "clusters", "\(error)")
        }
    }
}
