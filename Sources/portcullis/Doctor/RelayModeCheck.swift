import Foundation
import Yams

/// `portcullis doctor` on a gateway whose clusters are reached through a relay: the point of the
/// relay is that no cluster credential is left on the runner host, so any that is found there is a
/// problem to remove (docs/relay.md). Looked for:
/// - bearer token files (a `*.token` file, or a file holding one token and nothing else) and private
///   keys beside the configuration file and anywhere under the state directory and /etc/portcullis,
///   other than the gateway CA's key, the gateway's relay client keys and the central store's key;
/// - a mounted service account token (/var/run/secrets/kubernetes.io/serviceaccount/token);
/// - kubeconfigs that embed a static credential (the same files the `kubeconfigs` check reads).
enum RelayModeCheck {
    static let standardServiceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    static let maximumFileBytes = 1 << 20
    static let maximumDepth = 4

    /// Nil when no cluster of `configuration` is behind a relay.
    /// `systemDirectories` and `serviceAccountToken` are the host's places (tests give their own).
    static func finding(_ configuration: GatewayConfiguration, kubeconfigs: [String], systemDirectories: [String] = ["/etc/portcullis"],
                        serviceAccountToken: String = standardServiceAccountToken) -> DoctorFinding? {
        let relayed = configuration.clusters.filter { $0.relay != nil }
        guard !relayed.isEmpty else { return nil }
        var allowed = Set(relayed.compactMap(\.relay).flatMap { [$0.clientKey, $0.clientCertificate, $0.caFile] }.map(canonical))
        if let tls = configuration.tls { allowed.formUnion([tls.caKey, tls.caCertificate].map(canonical)) }
        if let central = configuration.central {
            allowed.formUnion([central.clientKey, central.clientCertificate, central.passwordFile, central.caFile].compactMap { $0 }.map(canonical))
        }
        let beside = (configuration.path as NSString).deletingLastPathComponent
        let roots = [(beside.isEmpty ? "." : beside, 0), (configuration.stateDirectory, maximumDepth)]
            + systemDirectories.map { ($0, maximumDepth) }
        var found: [String] = []
        var seen: Set<String> = []
        for (root, depth) in roots {
            walk(canonical(root), depth: maximumDepth - depth) { path in
                guard !allowed.contains(path), seen.insert(path).inserted, let kind = credentialKind(path) else { return }
                found.append("\(path) (\(kind))")
            }
        }
        if FileManager.default.fileExists(atPath: serviceAccountToken) { found.append("\(serviceAccountToken) (a mounted service account token)") }
        for path in kubeconfigs where HostChecks.kubeconfigs([path]).ok == false { found.append("\(path) (a kubeconfig with a static credential)") }
        let names = relayed.map(\.name).joined(separator: ", ")
        guard found.isEmpty else {
            return .problem("relay-mode-credentials",
                            "clusters \(names) are reached through a relay, but a cluster credential is still on this host: " + found.joined(separator: "; "),
                            fix: "delete these files (and revoke the credentials at the cluster if they were ever valid): with a relay, only the relay holds a cluster credential")
        }
        return .ok("relay-mode-credentials", "clusters \(names) are reached through a relay, and no cluster credential was found on this host")
    }

    /// What kind of credential the file at `path` holds, or nil.
    static func credentialKind(_ path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, size <= maximumFileBytes,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        // The recording (which may hold redacted Secrets) is not a credential file.
        if data.starts(with: Array("SQLite format 3".utf8)) || ["-wal", "-shm", ".sqlite"].contains(where: path.hasSuffix) { return nil }
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("PRIVATE KEY-----") { return "a private key" }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let tokenShaped = trimmed.count >= 20 && trimmed.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }
        if tokenShaped, path.hasSuffix(".token") || !trimmed.contains("{") { return "a bearer token" }
        if path.hasSuffix(".token"), !trimmed.isEmpty { return "a token file" }
        if text.contains("users:"), HostChecks.kubeconfigs([path]).ok == false { return "a kubeconfig with a static credential" }
        return nil
    }

    private static func walk(_ directory: String, depth: Int, _ visit: (String) -> Void) {
        guard depth <= maximumDepth, let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries.sorted() {
            let path = directory + "/" + entry
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: walk(path, depth: depth + 1, visit)
            case S_IFREG: visit(path)
            default: continue
            }
        }
    }

    private static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
