import ArgumentParser
import Foundation
import Intercept
import Kube
import Proxy

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the host for the known ways around the gateway, and name each fix.",
        discussion: """
            Checks: both iptables backends holding rules; IPv6 enabled while ip6tables does not work; the CA key or a \
            cluster credential readable by agents; agent processes holding CAP_NET_ADMIN or CAP_NET_RAW; kubeconfigs \
            that embed a static cluster credential (root's and each home's ~/.kube/config, kubeadm's admin.conf, \
            k3s.yaml; or the --kubeconfig files). Agents are the users given with --agent-user, or every login user \
            (uid 1000 and above) but the gateway. When clusters are reached through a relay, it also looks for cluster \
            credentials left on the host (token files and keys under the configuration's and state directories and \
            /etc/portcullis, a service account token, static kubeconfigs): with a relay there should be none. With --cluster NAME it also asks that cluster, with the gateway's own \
            credential, a SelfSubjectRulesReview of what the credential may do, and names every right beyond \
            impersonating the configured issuers' prefixed users and groups (docs/proxy.md). Exits 0 when every check \
            passes, 1 otherwise. Run it as root, in the network namespace the gateway runs in: the cluster check then \
            runs as the gateway's uid, whose connections the rules let through.
            """)

    @OptionGroup var config: ConfigOption

    @Option(name: .customLong("agent-user"), help: ArgumentHelp("An agent's user name or uid (repeatable).", valueName: "user"))
    var agentUsers: [String] = []

    @Option(name: .customLong("kubeconfig"), help: ArgumentHelp("A kubeconfig to check instead of the usual places (repeatable).",
                                                                 valueName: "path"))
    var kubeconfigs: [String] = []

    @Option(name: .customLong("cluster"), help: ArgumentHelp("A configured cluster whose view of the gateway's credential to check (repeatable).",
                                                             valueName: "name"))
    var clusters: [String] = []

    @Option(name: .customLong("namespace"), help: "The namespace the SelfSubjectRulesReview asks about (cluster-wide rules show in every one).")
    var namespace = "default"

    @Flag(name: .customLong("json"), help: "One JSON object per check.")
    var json = false

    func run() async throws {
        let configuration = try config.loadGateway(for: "doctor")
        let agents: AgentUsers
        do {
            agents = AgentUsers(uids: agentUsers.isEmpty ? nil : try AgentUsers.resolve(agentUsers),
                                gatewayUID: configuration.intercept.gatewayUID)
        } catch {
            throw ReadingCommand.fail("\(error.field): \(error.message)")
        }
        var credentials = configuration.tls.map { [$0.caKey] } ?? []
        for cluster in configuration.clusters {
            credentials += [cluster.tokenFile, cluster.clientKey, cluster.relay?.clientKey].compactMap { $0 }
        }
        let unknown = clusters.filter { name in !configuration.clusters.contains { $0.name == name } }
        guard unknown.isEmpty else {
            throw ReadingCommand.fail("--cluster \(unknown.joined(separator: ", ")): not a cluster of \(configuration.path) (\(configuration.clusters.map(\.name).joined(separator: ", ")))")
        }
        let kubeconfigPaths = kubeconfigs.isEmpty ? HostChecks.standardKubeconfigs() : kubeconfigs
        var findings = [
            HostChecks.iptablesBackends(BackendDiagnosis.ruleCounts()),
            HostChecks.ipv6(BackendDiagnosis.ipv6Problem(choice: configuration.intercept.backend)),
            HostChecks.credentialFiles(credentials, agents: agents),
            HostChecks.agentCapabilities(agents),
            HostChecks.kubeconfigs(kubeconfigPaths),
        ]
        if let relayMode = RelayModeCheck.finding(configuration, kubeconfigs: kubeconfigPaths) { findings.append(relayMode) }
        if !clusters.isEmpty { findings += try await clusterFindings(configuration) }
        for finding in findings {
            if json {
                print(finding.json.jsonString)
            } else {
                print("\(finding.ok ? "ok  " : "FAIL")  \(finding.check): \(finding.message)")
                if let fix = finding.fix { print("      fix: \(fix)") }
            }
        }
        if findings.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }

    /// The cluster checks, as the gateway's uid (the host checks above needed root; the rules let
    /// only the gateway's uid reach an API server directly, and its credential files are its own).
    private func clusterFindings(_ configuration: GatewayConfiguration) async throws -> [DoctorFinding] {
        let gateway = configuration.intercept.gatewayUID
        if geteuid() == 0, gateway != 0 {
            let gid = getpwuid(gateway)?.pointee.pw_gid ?? gateway
            guard setgroups(0, nil) == 0, setgid(gid) == 0, setuid(gateway) == 0 else {
                throw ReadingCommand.fail("cannot become the gateway's uid \(gateway) for the cluster check: \(String(cString: strerror(errno)))")
            }
        }
        let endpoints: ResolvedEndpoints
        do {
            endpoints = try configuration.intercept.resolveEndpoints()
        } catch {
            throw ReadingCommand.fail("\(configuration.path): \(error)")
        }
        var findings: [DoctorFinding] = []
        for name in clusters {
            guard let section = configuration.clusters.first(where: { $0.name == name }) else { continue }
            guard section.relay == nil else {
                findings.append(.problem("cluster-credential:\(name)", "the cluster is reached through a relay: this host holds no credential for it",
                                         fix: "run the check on the relay's host, against its own credential"))
                continue
            }
            let cluster: ClusterUpstream
            do {
                cluster = try ProxyAssembly.cluster(section, endpoints: endpoints, path: configuration.path)
            } catch {
                findings.append(.problem("cluster-credential:\(name)", "\(error)", fix: "fix the cluster's section of the configuration"))
                continue
            }
            findings.append(await ClusterCredentialCheck.run(cluster: cluster, namespace: namespace,
                                                             issuers: configuration.authentication?.issuers ?? []))
        }
        return findings
    }
}
