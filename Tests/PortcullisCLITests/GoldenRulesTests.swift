import Foundation
import Intercept
import Testing
import TestSupport

@testable import portcullis

/// The rendered sets for examples/portcullis.yaml are pinned by the files under iptables/.
/// After an intended change, regenerate them with
/// `swift run portcullis rules render --config examples/portcullis.yaml --output-dir iptables`.
@Suite struct GoldenRulesTests {
    static func renderer() throws -> RuleRenderer {
        let root = try Products.packageRoot()
        let configuration = try GatewayConfiguration.load(path: root + "/examples/portcullis.yaml")
        return RuleRenderer(configuration: configuration.intercept, endpoints: try configuration.intercept.resolveEndpoints())
    }

    static func golden(_ name: String) throws -> String {
        try String(contentsOfFile: try Products.packageRoot() + "/iptables/" + name, encoding: .utf8)
    }

    @Test func theIPv4RulesMatchTheGoldenFile() throws {
        #expect(try Self.renderer().restoreText(.v4) == Self.golden("portcullis.v4.rules"))
    }

    @Test func theIPv6RulesMatchTheGoldenFile() throws {
        #expect(try Self.renderer().restoreText(.v6) == Self.golden("portcullis.v6.rules"))
    }

    @Test func theSetsMatchTheGoldenFile() throws {
        #expect(try Self.renderer().ipsetText() == Self.golden("portcullis.ipset"))
    }

    @Test func everyRuleCarriesAPortcullisComment() throws {
        let renderer = try Self.renderer()
        for family in AddressFamily.allCases {
            for (_, _, rules) in renderer.rules(family) {
                for rule in rules { #expect(rule.comment.hasPrefix("portcullis: "), "\(rule.restoreLine)") }
            }
        }
    }

    @Test func theMangleGuardKeepsTheOrderTheDesignRequires() throws {
        let mangle = try Self.renderer().rules(.v4).first { $0.table == "mangle" }?.rules ?? []
        let targets = mangle.map { $0.specification.joined(separator: " ") }
        #expect(targets.count == 5)
        #expect(targets[0].contains("--ctstate ESTABLISHED"))
        #expect(targets[1].contains("--ctstate DNAT"))
        #expect(targets[2].contains("--uid-owner 990"))
        #expect(targets[3].contains("--match-set portcullis-endpoints-v4 dst,dst"))
        #expect(targets[4].contains("--match-set portcullis-addresses-v4 dst "))
        for queued in targets[3...] {
            #expect(queued.hasSuffix("-j NFQUEUE --queue-num 4242"))
            #expect(!queued.contains("--queue-bypass"))
        }
    }
}

@Suite struct LoopbackEndpointTests {
    @Test func aLoopbackEndpointIsGuardedOnItsPortOnly() throws {
        let configuration = InterceptConfiguration(gatewayUID: 990, endpoints: [EndpointSpec(cluster: "k3s", host: "127.0.0.1", port: 6443)])
        let renderer = RuleRenderer(configuration: configuration, endpoints: try configuration.resolveEndpoints())
        #expect(renderer.addressMembers(.v4).isEmpty)
        #expect(renderer.endpointMembers(.v4) == ["127.0.0.1,tcp:6443"])
    }
}
