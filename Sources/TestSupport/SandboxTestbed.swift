/// Everything an end-to-end test against the sandbox needs: the agent and cluster hosts, the sandbox
/// serving on the cluster host at `198.18.0.2:6443`, and a kubectl on the agent host pointed at it.
///
/// Traffic between kubectl and the sandbox stays on the veth pair between the two test namespaces.
public struct SandboxTestbed: Sendable {
    public static let port = 6443

    public let hosts: TestHosts
    public let cluster: SandboxCluster
    public let kubectl: Kubectl

    /// Throws a ``HarnessError`` listing every missing prerequisite of an end-to-end test: root, `ip`,
    /// `setpriv`, the kubectl binary and the built sandbox.
    public static func requirePrerequisites(kubectlBinary: String = Kubectl.defaultBinary) throws {
        var problems: [String] = []
        let checks: [() throws -> Void] = [
            { try Privileges.requireRoot() },
            { _ = try SystemTools.ip() },
            { _ = try SystemTools.setpriv() },
            { _ = try Products.sandbox() },
            {
                guard FileManagerCheck.isExecutable(kubectlBinary) else {
                    throw HarnessError("missing kubectl \(kubectlBinary): run scripts/setup.sh to see how to install it")
                }
            },
        ]
        for check in checks {
            do { try check() } catch { problems.append(String(describing: error)) }
        }
        guard problems.isEmpty else {
            throw HarnessError("end-to-end prerequisites missing:\n- " + problems.joined(separator: "\n- "))
        }
    }

    /// Sets up the hosts, the sandbox and kubectl, runs `body`, and always tears everything down
    /// afterwards (sandbox stopped, kubectl's files and both namespaces removed), also when `body` throws.
    /// Throws if the sandbox exited during `body` without being stopped (with its output).
    public static func with<T>(logIntervalMilliseconds: Int = 1000,
                               kubectlBinary: String = Kubectl.defaultBinary,
                               _ body: (SandboxTestbed) async throws -> T) async throws -> T {
        try requirePrerequisites(kubectlBinary: kubectlBinary)
        return try await TestHosts.withAgentAndCluster { hosts in
            let cluster = try await SandboxCluster.start(
                in: hosts.cluster, listen: "\(TestHosts.clusterAddress):\(port)",
                logIntervalMilliseconds: logIntervalMilliseconds)
            let outcome: Result<T, any Error>
            do {
                let kubectl = try Kubectl(binary: kubectlBinary, kubeconfig: cluster.kubeconfigPath,
                                          namespace: hosts.agent)
                defer { kubectl.remove() }
                let value = try await body(SandboxTestbed(hosts: hosts, cluster: cluster, kubectl: kubectl))
                try cluster.requireRunning()
                outcome = .success(value)
            } catch {
                outcome = .failure(error)
            }
            await cluster.stop()
            return try outcome.get()
        }
    }
}
