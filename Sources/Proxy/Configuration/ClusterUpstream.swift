import Foundation
import Intercept
import NIOSSL

/// One cluster as the proxy sees it: its endpoints (the original destinations that map to it on a
/// gateway; the API servers a relay connects to), the names its certificates carry, and how the
/// proxy itself authenticates upstream.
public struct ClusterUpstream: Sendable {
    public var name: String
    /// The resolved API endpoints of the cluster.
    public var endpoints: [SocketEndpoint]
    /// DNS names (or IPs) the agents' kubeconfigs use for this cluster: put in the minted
    /// certificates, and the first one is sent as SNI and checked upstream.
    public var serverNames: [String]
    /// The CA certificates the upstream's certificate must chain to: the API server's, or the
    /// relay's when ``relay`` is set.
    public var trustRoots: [NIOSSLCertificate]
    /// How the gateway authenticates upstream: to the API server, or (with ``relay``) its client
    /// certificate from the relay's CA.
    public var credential: UpstreamCredential
    /// Set when the cluster is reached through a relay: requests go there with the agent's token
    /// unchanged, and the relay verifies, decides, impersonates and records them again.
    public var relay: RelayRoute?

    public init(name: String, endpoints: [SocketEndpoint], serverNames: [String], trustRoots: [NIOSSLCertificate],
                credential: UpstreamCredential, relay: RelayRoute? = nil) {
        self.name = name
        self.endpoints = endpoints
        self.serverNames = serverNames
        self.trustRoots = trustRoots
        self.credential = credential
        self.relay = relay
    }
}

/// How the gateway authenticates to an API server. Never the agent's credential.
public enum UpstreamCredential: Sendable {
    /// `Authorization: Bearer <token>`; the token is read from a file of mode 0600.
    case bearerToken(String)
    /// A TLS client certificate and its key.
    case clientCertificate(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)
}

/// Problems with credential and CA files, naming the file.
public struct CredentialFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

public enum CredentialFiles {
    /// Reads a secret file, refusing one that others may read or that another user owns.
    public static func readSecret(_ path: String) throws(CredentialFileError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CredentialFileError(path: path, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw CredentialFileError(path: path, message: "mode \(String(mode, radix: 8)) lets other users read a credential; make it 600")
        }
        guard info.st_uid == geteuid() else {
            throw CredentialFileError(path: path, message: "owned by uid \(info.st_uid), not by the gateway's uid \(geteuid())")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialFileError(path: path, message: "cannot read")
        }
        return Array(data)
    }

    /// A bearer token file: the token with surrounding whitespace removed.
    public static func bearerToken(_ path: String) throws(CredentialFileError) -> UpstreamCredential {
        let text = String(decoding: try readSecret(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, !text.contains(where: { $0.isWhitespace }) else {
            throw CredentialFileError(path: path, message: "expected one bearer token")
        }
        return .bearerToken(text)
    }

    public static func clientCertificate(certificate: String, key: String) throws(CredentialFileError) -> UpstreamCredential {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate)
            let keyBytes = try readSecret(key)
            return .clientCertificate(chain: chain, key: try NIOSSLPrivateKey(bytes: keyBytes, format: .pem))
        } catch let error as CredentialFileError {
            throw error
        } catch {
            throw CredentialFileError(path: "\(certificate), \(key)", message: "not a PEM certificate and key: \(error)")
        }
    }

    public static func trustRoots(_ path: String) throws(CredentialFileError) -> [NIOSSLCertificate] {
        do {
            let roots = try NIOSSLCertificate.fromPEMFile(path)
            guard !roots.isEmpty else { throw CredentialFileError(path: path, message: "no certificates in the file") }
            return roots
        } catch let error as CredentialFileError {
            throw error
        } catch {
            throw CredentialFileError(path: path, message: "not a PEM certificate file: \(error)")
        }
    }
}
