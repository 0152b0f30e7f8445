import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// Builds the PostgreSQL client for a ``CentralConfiguration``: credentials read from their files
/// (checked like every other credential: mode 0600 at most, owned by whoever runs portcullis or
/// root), TLS as `sslMode` says, and a pool of `connections` on the given event loops.
///
/// The password is read here, held only in the client's configuration, and never logged.
public enum CentralConnector {
    public static func client(_ configuration: CentralConfiguration, eventLoopGroup: any EventLoopGroup,
                              logger: Logger) throws(CentralStoreError) -> PostgresClient {
        var settings: PostgresClient.Configuration
        if let socket = configuration.unixSocketPath {
            settings = PostgresClient.Configuration(unixSocketPath: socket, username: configuration.user,
                                                    password: try password(configuration), database: configuration.database)
        } else {
            settings = PostgresClient.Configuration(host: configuration.host, port: configuration.port, username: configuration.user,
                                                    password: try password(configuration), database: configuration.database,
                                                    tls: try tls(configuration))
        }
        settings.options.maximumConnections = max(2, configuration.connections)
        settings.options.minimumConnections = 0
        settings.options.connectTimeout = leaseTimeout(configuration)
        if configuration.sslMode == .verifyFull, let name = configuration.serverName { settings.options.tlsServerName = name }
        settings.options.additionalStartupParameters = [("application_name", "portcullis")]
        return PostgresClient(configuration: settings, eventLoopGroup: eventLoopGroup, backgroundLogger: logger)
    }

    /// How long connecting may take, and how long a shipment waits for a connection before the
    /// store counts as unreachable: in required mode, how soon agents hear it is down.
    public static func leaseTimeout(_ configuration: CentralConfiguration) -> Duration {
        min(configuration.queryTimeout, .seconds(3))
    }

    /// The password from `passwordFile` (its first line), or nil without one.
    static func password(_ configuration: CentralConfiguration) throws(CentralStoreError) -> String? {
        guard let path = configuration.passwordFile else { return nil }
        let text = try CredentialFile.read(path)
        let password = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard !password.isEmpty else { throw .credential(path: path, message: "the file is empty") }
        return password
    }

    static func tls(_ configuration: CentralConfiguration) throws(CentralStoreError) -> PostgresClient.Configuration.TLS {
        if configuration.sslMode == .disable { return .disable }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch configuration.sslMode {
        case .verifyFull: tls.certificateVerification = .fullVerification
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .require, .disable: tls.certificateVerification = .none
        }
        do {
            if let ca = configuration.caFile {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(try CredentialFile.readPublic(ca))))
            } else if configuration.sslMode != .require {
                throw CentralStoreError.tls(message: "sslmode \(configuration.sslMode.rawValue) needs caFile: the CA that signed the server's certificate")
            }
            if let certificate = configuration.clientCertificate, let key = configuration.clientKey {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(try CredentialFile.readPublic(certificate))).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(try CredentialFile.read(key)), format: .pem))
            }
        } catch let error as CentralStoreError {
            throw error
        } catch {
            throw .tls(message: "\(error)")
        }
        return .require(tls)
    }
}
