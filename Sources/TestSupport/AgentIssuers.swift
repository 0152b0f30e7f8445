import Foundation

/// The two OIDC issuers a gateway of a testbed trusts, on its agent host's loopback:
/// oidc-provider-mock (a real provider; the exec plugin gets its tokens from it) and oidc_mint.py's
/// JWKS server (keys the tests hold, for tokens no real provider would issue).
///
/// Each agent host is its own namespace, so the fixed ports never collide. Both processes are kept in
/// the caller's ``StartedProcesses`` and end with it.
enum AgentIssuers {
    /// oidc-provider-mock on 127.0.0.1 in the agent namespace, once its discovery document answers.
    static func startProvider(in agent: NetworkNamespace, host: String = "127.0.0.1", kept: StartedProcesses) async throws -> String {
        let port = 18_080
        let claims = #"{"sub":"\#(GatewayTestbed.subject)","email":"agent@example.com","groups":["ai-agents","runners"]}"#
        let process = kept.keep(try agent.launch(try PythonTools.python(), ["-m", "oidc_provider_mock", "--port", String(port),
                                                                            "--host", host, "--user-claims", claims],
                                                 options: LaunchOptions(label: "oidc-provider-mock")))
        let url = "http://\(host):\(port)"
        let probe = try Products.packageRoot() + "/Tests/clients/net_client.py"
        for _ in 0..<200 {
            guard process.isRunning else { throw HarnessError("oidc-provider-mock exited\n\(process.report)") }
            let result = try agent.run("/usr/bin/python3", [probe, "tcp", host, String(port), "--timeout", "1"])
            if result.standardOutput.contains("\"connected\": true") { return url }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("oidc-provider-mock did not start listening on \(url)\n\(process.report)")
    }

    /// oidc_mint.py's JWKS and discovery server on loopback in the agent namespace.
    static func startMinting(in agent: NetworkNamespace, directory: String, host: String = "127.0.0.1",
                             kept: StartedProcesses) async throws -> String {
        let process = kept.keep(try agent.launch(try PythonTools.python(),
                                                 [try PythonTools.clientScript("oidc_mint.py"), "serve", "--dir", directory, "--host", host],
                                                 options: LaunchOptions(label: "oidc_mint serve")))
        let line = try await process.waitForLine(containing: "listening ", timeout: .seconds(60))
        return String(line.split(separator: " ").last ?? "")
    }
}
