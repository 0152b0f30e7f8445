import Glibc
import Testing

@testable import Intercept

/// Backend selection with a scripted command runner: no root, no real tables.
@Suite(.enabled(if: FileManagerProbe.iptablesInstalled, "needs Debian's iptables package (scripts/setup.sh installs it)"))
struct NetfilterBackendTests {
    /// Answers `*-save` with the given text per tool name; `nil` means the tool fails.
    struct ScriptedRunner: CommandRunner {
        var outputs: [String: String?]

        func run(_ executable: String, _ arguments: [String], input: String?) throws(CommandError) -> CommandOutput {
            let name = String(executable.split(separator: "/").last ?? "")
            guard let entry = outputs[name] else { return CommandOutput(status: 0, standardOutput: "", standardError: "") }
            guard let text = entry else {
                return CommandOutput(status: 1, standardOutput: "", standardError: "can't initialize table `filter': Table does not exist")
            }
            return CommandOutput(status: 0, standardOutput: text, standardError: "")
        }
    }

    static let someRules = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n"

    @Test func autoPicksTheBackendThatHoldsTheRules() throws {
        let legacy = try NetfilterBackend.detect(choice: .auto, runner: ScriptedRunner(outputs: ["iptables-legacy-save": Self.someRules]),
                                                 ipv6Enabled: false)
        #expect(legacy.kind == .legacy)
        let nft = try NetfilterBackend.detect(choice: .auto, runner: ScriptedRunner(outputs: ["iptables-nft-save": Self.someRules]),
                                              ipv6Enabled: false)
        #expect(nft.kind == .nft)
        let bare = try NetfilterBackend.detect(choice: .auto, runner: ScriptedRunner(outputs: [:]), ipv6Enabled: false)
        #expect(bare.kind == .nft)
        #expect(bare.families == [.v4])
    }

    @Test func anExplicitChoiceWins() throws {
        let chosen = try NetfilterBackend.detect(choice: .legacy, runner: ScriptedRunner(outputs: ["iptables-nft-save": Self.someRules]),
                                                 ipv6Enabled: true)
        #expect(chosen.kind == .legacy)
        #expect(chosen.families == [.v4, .v6])
        #expect(chosen.save(.v6).hasSuffix("/ip6tables-legacy-save"))
    }

    @Test func ipv6EnabledWithoutAWorkingIp6tablesIsAnError() {
        do throws(InterceptError) {
            _ = try NetfilterBackend.detect(choice: .nft, runner: ScriptedRunner(outputs: ["ip6tables-nft-save": String?.none]),
                                            ipv6Enabled: true)
            Issue.record("a broken ip6tables with IPv6 enabled must be refused")
        } catch {
            #expect(error.message.hasPrefix("IPv6 is enabled on this host but ip6tables (nft) does not work"), "\(error)")
            #expect(error.message.contains("disable IPv6"))
        }
    }
}

enum FileManagerProbe {
    static var iptablesInstalled: Bool {
        NetfilterBackend.searchDirectories.contains { access("\($0)/iptables-nft-save", X_OK) == 0 }
    }
}

extension NetfilterBackendTests {
    @Test func doctorSeesIPv6EnabledWithIp6tablesBroken() {
        let broken = ScriptedRunner(outputs: ["ip6tables-nft-save": nil, "ip6tables-legacy-save": nil])
        let problem = BackendDiagnosis.ipv6Problem(choice: .auto, runner: broken, ipv6Enabled: true)
        #expect(problem?.contains("IPv6 is enabled on this host but ip6tables") == true, "\(String(describing: problem))")
        #expect(BackendDiagnosis.ipv6Problem(choice: .auto, runner: ScriptedRunner(outputs: [:]), ipv6Enabled: true) == nil)
        #expect(BackendDiagnosis.ipv6Problem(choice: .auto, runner: broken, ipv6Enabled: false) == nil)
    }

    @Test func doctorCountsTheRulesOfEachBackend() {
        let counts = BackendDiagnosis.ruleCounts(runner: ScriptedRunner(outputs: ["iptables-nft-save": Self.someRules,
                                                                                  "iptables-legacy-save": Self.someRules,
                                                                                  "ip6tables-legacy-save": nil]))
        #expect(counts[.nft] == .some(2) && counts[.legacy] == .some(2))
    }
}
