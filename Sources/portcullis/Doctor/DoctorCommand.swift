import ArgumentParser
import Foundation
import Intercept
import Kube

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the host for the known ways around the gateway, and name each fix.",
        discussion: """
            Checks: both iptables backends holding rules; IPv6 enabled while ip6tables does not work; the CA key or a \
            cluster credential readable by agents; agent processes holding CAP_NET_ADMIN or CAP_NET_RAW; kubeconfigs \
            that embed a static cluster credential (root's and each home's ~/.kube/config, kubeadm's admin.conf, \
            k3s.yaml; or the --kubeconfig files). Agents are the users given with --agent-user, or every login user \
            (uid 1000 and above) but the gateway. Exits 0 when every check passes, 1 otherwise. Run it as root, in the \
            network namespace the gateway runs in.
            """)

    @OptionGroup var config: ConfigOption

    @Option(name: .customLong("agent-user"), help: ArgumentHelp("An agent's user name or uid (repeatable).", valueName: "user"))
    var agentUsers: [String] = []

    @Option(name: .customLong("kubeconfig"), help: ArgumentHelp("A kubeconfig to check instead of the usual places (repeatable).",
                                                                 valueName: "path"))
    var kubeconfigs: [String] = []

    @Flag(name: .customLong("json"), help: "One JSON object per check.")
    var json = false

    func run() throws {
        let configuration = try config.load()
        let agents: AgentUsers
        do {
            agents = AgentUsers(uids: agentUsers.isEmpty ? nil : try AgentUsers.resolve(agentUsers),
                                gatewayUID: configuration.intercept.gatewayUID)
        } catch {
            throw ReadingCommand.fail("\(error.field): \(error.message)")
        }
        var credentials = configuration.tls.map { [$0.caKey] } ?? []
        for cluster in configuration.clusters { credentials += [cluster.tokenFile, cluster.clientKey].compactMap { $0 } }
        let findings = [
            HostChecks.iptablesBackends(BackendDiagnosis.ruleCounts()),
            HostChecks.ipv6(BackendDiagnosis.ipv6Problem(choice: configuration.intercept.backend)),
            HostChecks.credentialFiles(credentials, agents: agents),
            HostChecks.agentCapabilities(agents),
            HostChecks.kubeconfigs(kubeconfigs.isEmpty ? HostChecks.standardKubeconfigs() : kubeconfigs),
        ]
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
}
