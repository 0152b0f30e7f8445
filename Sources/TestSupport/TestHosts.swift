/// The two "hosts" of a test: an agent namespace and a cluster namespace joined by a veth pair.
///
/// The agent is at ``agentAddress`` and the cluster at ``clusterAddress`` (both /24, in the benchmark
/// range 198.18.0.0/15). Each test gets its own pair, so tests running in parallel never share
/// addresses: the same addresses live in different namespaces.
public struct TestHosts: Sendable {
    public static let agentAddress = "198.18.0.1"
    public static let clusterAddress = "198.18.0.2"
    public static let prefixLength = 24

    public let agent: NetworkNamespace
    public let cluster: NetworkNamespace
    public let link: VethLink

    /// Creates both namespaces and the link. On failure, whatever was created is removed.
    public static func create() throws -> TestHosts {
        let agent = try NetworkNamespace.create(role: "agent")
        do {
            let cluster = try NetworkNamespace.create(role: "cluster")
            do {
                let link = try VethLink.connect(agent, address: agentAddress, to: cluster,
                                                address: clusterAddress, prefixLength: prefixLength)
                return TestHosts(agent: agent, cluster: cluster, link: link)
            } catch {
                cluster.remove()
                throw error
            }
        } catch {
            agent.remove()
            throw error
        }
    }

    /// Kills every process in both namespaces and deletes them (the link goes with them). Idempotent.
    public func remove() {
        agent.remove()
        cluster.remove()
    }

    /// Creates the agent and cluster hosts, runs `body`, and always removes both afterwards, also when
    /// `body` throws.
    public static func withAgentAndCluster<T>(_ body: (TestHosts) async throws -> T) async throws -> T {
        let hosts = try create()
        defer { hosts.remove() }
        return try await body(hosts)
    }
}
