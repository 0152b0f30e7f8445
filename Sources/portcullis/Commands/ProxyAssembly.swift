import Central
import Foundation
import Intercept
import Logging
import NIOCore
import Proxy

/// Builds the proxy from the configuration file: reads the CA, the clusters' CAs and credentials,
/// and sets up OIDC. Every problem names the file or field.
enum ProxyAssembly {
    /// The proxy's services, and the OIDC authenticator (to load the issuers' keys at start-up).
    static func services(_ configuration: GatewayConfiguration, endpoints: ResolvedEndpoints, recorder: any ProxyRecorder,
                         policy: AccessPolicy, reviews: ReviewQueue, group: any EventLoopGroup, logger: Logger) throws -> (ProxyServices, OIDCAuthenticator) {
        let path = configuration.path
        guard let tls = configuration.tls else { throw fail(path, "tls", "the section is required to run the gateway (the CA that signs the certificates agents see)") }
        guard let authentication = configuration.authentication else {
            throw fail(path, "authentication", "the section is required to run the gateway (the OIDC issuers agents' tokens come from)")
        }
        let authority: GatewayCertificateAuthority
        do {
            authority = try GatewayCertificateAuthority.load(certificatePath: tls.caCertificate, keyPath: tls.caKey)
        } catch {
            throw fail(path, "tls", "\(error)")
        }
        let lifetime = Double(tls.certificateLifetime.components.seconds)
        let store = try ServingCertificateStore(authority: authority, configuration: ServingCertificateConfiguration(lifetime: lifetime))
        let authenticator: OIDCAuthenticator
        do {
            authenticator = try OIDCAuthenticator(configuration: authentication, eventLoopGroup: group,
                                                  logger: Logger(label: "portcullis.oidc"))
        } catch {
            throw fail(path, "authentication", "\(error)")
        }
        var clusters: [ClusterUpstream] = []
        for section in configuration.clusters {
            clusters.append(try cluster(section, endpoints: endpoints, path: path))
        }
        var listen: [IPAddress] = [.v4(127, 0, 0, 1), .v6([UInt8](repeating: 0, count: 15) + [1])]
        for text in configuration.listenAddresses {
            guard let address = IPAddress(text) else { throw fail(path, "gateway.listenAddresses", "'\(text)' is not an IP address") }
            listen.append(address)
        }
        var proxy = ProxyConfiguration(port: configuration.intercept.proxyPort, listenAddresses: listen, clusters: clusters,
                                       tokenHeader: authentication.tokenHeader, recordedBodyLimit: configuration.store.bodyLimit,
                                       limits: configuration.clientLimits)
        // The central store's required mode forwards nothing, reads included, before PostgreSQL has its record.
        proxy.forwardReadsWhileRecording = configuration.central?.mode != .required
        let attribution = try? CallerAttribution()
        if attribution == nil { logger.warning("sock_diag is unavailable: connections are recorded without their caller's uid") }
        if let attribution, attribution.cgroups.hierarchy == nil {
            logger.warning("no cgroup v2 hierarchy is mounted in the gateway's mount namespace (/proc/self/mountinfo): connections are recorded with their cgroup id, but without its path, unit or container")
        }
        do {
            let services = try ProxyServices(configuration: proxy, authenticator: authenticator, servingContexts: store,
                                             recorder: recorder, policy: policy, reviews: reviews, attribution: attribution,
                                             logger: logger)
            return (services, authenticator)
        } catch {
            throw fail(path, "clusters", "\(error)")
        }
    }

    static func cluster(_ section: ClusterSection, endpoints: ResolvedEndpoints, path: String) throws -> ClusterUpstream {
        let field = "clusters.\(section.name)"
        let mine = endpoints.entries.filter { $0.cluster == section.name }.map { SocketEndpoint($0.address, port: $0.port) }
        if let relay = section.relay { return try relayCluster(section, relay, endpoints: mine, path: path) }
        guard let caFile = section.caFile else { throw fail(path, field, "caFile is required: the CA the API server's certificate must chain to") }
        let credential: UpstreamCredential
        do {
            if let token = section.tokenFile {
                credential = try CredentialFiles.bearerToken(token)
            } else if let certificate = section.clientCertificate, let key = section.clientKey {
                credential = try CredentialFiles.clientCertificate(certificate: certificate, key: key)
            } else {
                throw fail(path, field, "tokenFile, or clientCertificate and clientKey, is required: the gateway's own credential")
            }
            let roots = try CredentialFiles.trustRoots(caFile)
            return ClusterUpstream(name: section.name, endpoints: mine, serverNames: section.serverNames, trustRoots: roots,
                                   credential: credential)
        } catch let error as CredentialFileError {
            throw fail(path, field, error.description)
        }
    }

    /// A gateway's cluster behind a relay: the relay's address (resolved now; the first address),
    /// its CA, and this gateway's client certificate, whose key must be the gateway uid's alone.
    static func relayCluster(_ section: ClusterSection, _ relay: ClusterRelaySection, endpoints: [SocketEndpoint],
                             path: String) throws -> ClusterUpstream {
        let field = "clusters.\(section.name).relay"
        let address: IPAddress
        if let literal = IPAddress(relay.host) {
            address = literal
        } else {
            let resolved: [IPAddress]
            do {
                resolved = try SystemHostResolver().addresses(of: relay.host)
            } catch {
                throw fail(path, field, "cannot resolve the relay \(relay.address): \(error)")
            }
            guard let first = resolved.first else { throw fail(path, field, "\(relay.host) has no address") }
            address = first
        }
        do {
            let roots = try CredentialFiles.trustRoots(relay.caFile)
            let credential = try CredentialFiles.clientCertificate(certificate: relay.clientCertificate, key: relay.clientKey)
            let route = RelayRoute(address: relay.address, endpoint: SocketEndpoint(address.unmappedIPv4 ?? address, port: relay.port),
                                   serverName: relay.serverName, cluster: relay.cluster)
            return ClusterUpstream(name: section.name, endpoints: endpoints, serverNames: section.serverNames, trustRoots: roots,
                                   credential: credential, relay: route)
        } catch {
            throw fail(path, field, error.description)
        }
    }

    static func fail(_ path: String, _ field: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: path, line: nil, field: field, message: message)
    }
}
