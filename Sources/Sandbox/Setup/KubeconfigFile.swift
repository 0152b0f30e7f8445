import Foundation

/// A kubeconfig for direct access to the sandbox: one cluster with the CA embedded, one user
/// and context per static token. Written with mode 0600, since it holds tokens.
enum KubeconfigFile {
    static func render(server: String, caPEM: String, tokens: [StaticToken], currentUser: String) -> String {
        func q(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines = [
            "apiVersion: v1", "kind: Config", "clusters:", "- name: sandbox", "  cluster:",
            "    server: \(q(server))",
            "    certificate-authority-data: \(q(Data(caPEM.utf8).base64EncodedString()))",
            "users:",
        ]
        for token in tokens {
            lines += ["- name: \(q(token.user))", "  user:", "    token: \(q(token.token))"]
        }
        lines.append("contexts:")
        for token in tokens {
            lines += ["- name: \(q("sandbox-" + token.user))", "  context:", "    cluster: sandbox",
                      "    user: \(q(token.user))", "    namespace: default"]
        }
        lines.append("current-context: \(q("sandbox-" + currentUser))")
        return lines.joined(separator: "\n") + "\n"
    }
}
