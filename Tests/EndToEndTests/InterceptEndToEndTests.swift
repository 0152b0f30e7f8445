import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// The rules, the guard and the tamper watch on real iptables, ipset, conntrack and NFQUEUE, in
    /// throwaway namespaces (see ``InterceptTestbed``). Never on the host's own tables.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct InterceptEndToEndTests {
        typealias Bed = InterceptTestbed

        /// `iptables-save` and `ip6tables-save` (without comments) and `ipset save` on the agent host.
        static func snapshot(_ bed: Bed) throws -> String {
            try ["iptables-save", "ip6tables-save"].map { tool in
                try bed.agent.run("/usr/sbin/\(tool)").standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
            }.joined(separator: "\n---\n") + "\n---\n" + bed.agent.run("/usr/sbin/ipset", ["save"]).standardOutput
        }

        static func requireSuccess(_ result: HostCommandResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(result.status.isSuccess, "\(what): \(result)", sourceLocation: sourceLocation)
        }

        // MARK: Rendering and lifecycle

        @Test("apply twice gives the same state, and verify finds no drift but the missing guard")
        func applyTwiceConverges() async throws {
            try await Bed.with { bed in
                Self.requireSuccess(try bed.portcullis(["rules", "apply"]), "first apply")
                let first = try Self.snapshot(bed)
                Self.requireSuccess(try bed.portcullis(["rules", "apply"]), "second apply")
                #expect(try Self.snapshot(bed) == first)
                let verify = try bed.portcullis(["rules", "verify"])
                #expect(verify.status == .exited(1), "\(verify)")
                #expect(verify.standardOutput.split(separator: "\n").filter { $0.hasPrefix("  - ") }
                        == ["  - netfilter queue 4242 has no listener: the guard is not running, so bypass attempts are dropped but not recorded"],
                        "\(verify)")
            }
        }

        @Test("remove leaves the host's own rules exactly as they were")
        func removeRestores() async throws {
            try await Bed.with { bed in
                // A host that already has rules, as with Docker.
                for rule in [["-t", "nat", "-N", "DOCKER"], ["-t", "nat", "-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER"],
                             ["-t", "filter", "-A", "FORWARD", "-o", "br-pcl", "-j", "ACCEPT"], ["-t", "mangle", "-A", "POSTROUTING", "-j", "RETURN"]] {
                    Self.requireSuccess(try bed.agent.run("/usr/sbin/iptables", rule), "seed \(rule)")
                    Self.requireSuccess(try bed.agent.run("/usr/sbin/ip6tables", rule.map { $0 == "br-pcl" ? "br-pcl" : $0 }), "seed v6 \(rule)")
                }
                let before = try Self.snapshot(bed)
                Self.requireSuccess(try bed.portcullis(["rules", "apply"]), "apply")
                #expect(try Self.snapshot(bed) != before)
                Self.requireSuccess(try bed.portcullis(["rules", "remove"]), "remove")
                #expect(try Self.snapshot(bed) == before)
                Self.requireSuccess(try bed.portcullis(["rules", "remove"]), "remove again")
            }
        }

        // MARK: Steering

        @Test("IPv4, IPv6, a loopback endpoint and a name's second address are steered with their exact original destination")
        func steering() async throws {
            try await Bed.with { bed in
                _ = try await bed.startAPIServer()
                let probe = try await bed.startProbe()
                Self.requireSuccess(try bed.portcullis(["rules", "apply"]), "apply")
                for (host, port, expected) in [(Bed.apiV4, 6443, "198.18.0.2:6443"), (Bed.apiV6, 6443, "[fd00:5043::2]:6443"),
                                               ("127.0.0.1", Bed.loopbackAPIPort, "127.0.0.1:7443"), (Bed.secondV4, 6443, "198.18.0.3:6443"),
                                               (Bed.secondV6, 6443, "[fd00:5043::3]:6443")] {
                    let result = try await bed.attempt("tcp", host, port)
                    let seen = try JSONParser.parse(result["received"]?.stringValue ?? "")
                    #expect(seen["decision"] == "admit", "\(host):\(port): \(result)\n\(probe.report)")
                    #expect(seen["originalDestination"]?.stringValue == expected, "\(result)")
                    #expect(seen["uid"]?.stringValue == String(Bed.agentUID), "\(result)")
                    #expect(seen["pid"] != nil, "the probe names the process: \(result)")
                }
            }
        }

        @Test("the gateway's uid reaches the API server directly (no loop); its group does not")
        func gatewayUIDIsNotRedirected() async throws {
            try await Bed.with { bed in
                let api = try await bed.startAPIServer()
                _ = try await bed.startProbe()
                Self.requireSuccess(try bed.portcullis(["rules", "apply"]), "apply")
                let direct = try await bed.attempt("tcp", Bed.apiV4, 6443, uid: Bed.gatewayUID)
                #expect(direct["received"]?.stringValue == "banner cluster from 198.18.0.2:6443\n", "\(direct)\n\(api.report)")
                let member = try await bed.attempt("tcp", Bed.apiV4, 6443, uid: Bed.groupMemberUID, gid: Bed.gatewayUID)
                #expect(member["connected"] == true, "\(member)")
                let seen = try JSONParser.parse(member["received"]?.stringValue ?? "")
                #expect(seen["uid"]?.stringValue == String(Bed.groupMemberUID), "a gateway-group member is steered: \(member)")
            }
        }

        @Test("a direct connection to the proxy port is refused")
        func directConnectionIsRefused() async throws {
            try await Bed.with { bed in
                let probe = try await bed.startProbe()
                Self.requireSuccess(try bed.portcullis(["rules", "apply"]), "apply")
                let result = try await bed.attempt("tcp", "127.0.0.1", Bed.proxyPort)
                #expect(result["received"]?.stringValue == "", "nothing but a close: \(result)")
                let line = try await probe.waitForLine(containing: "\"refuse\"")
                #expect(line.contains("not redirected") || line.contains("a direct connection to the gateway"), "\(line)")
            }
        }

        @Test("container traffic behind a bridge is steered to the bridge address with its source and interface")
        func bridgeTrafficIsSteered() async throws {
            try await Bed.with { bed in
                _ = try await bed.startProbe()
                Self.requireSuccess(try bed.portcullis(["rules", "apply"]), "apply")
                let result = try await bed.attempt("tcp", Bed.apiV4, 6443, uid: 0, from: bed.container)
                #expect(result["connected"] == true, "\(result)")
                let seen = try JSONParser.parse(result["received"]?.stringValue ?? "")
                #expect(seen["originalDestination"] == "198.18.0.2:6443", "\(result)")
                #expect(seen["interface"] == "br-pcl", "\(result)")
                #expect(seen["uid"] == nil, "forwarded traffic has no local uid: \(result)")
            }
        }

        // MARK: Fail closed

        @Test("every other path to an API server is blocked and recorded with the right uid or source")
        func otherPathsAreBlockedAndRecorded() async throws {
            try await Bed.with { bed in
                _ = try await bed.startAPIServer()
                let gateway = try await bed.startGateway()
                let agent = Bed.agentUID, member = Bed.groupMemberUID, gatewayGID = Bed.gatewayUID
                // (what, mode, host, port, uid, gid, from the container, a substring only that attempt's event has)
                let cases: [(String, String, String, Int, UInt32, UInt32?, Bool, String)] = [
                    ("another port on the API address", "tcp", Bed.apiV4, 22, agent, nil, false,
                     "\"destination\":\"198.18.0.2\",\"destinationPort\":22,\"uid\":\(agent),\"gid\":\(agent)"),
                    ("UDP to it", "udp", Bed.apiV4, 53, agent, nil, false,
                     "\"protocol\":\"udp\",\"source\":\"198.18.0.1\""),
                    ("the API server's IPv6 address", "tcp", Bed.apiV6, 22, agent, nil, false,
                     "\"destination\":\"fd00:5043::2\",\"destinationPort\":22,\"uid\":\(agent)"),
                    ("a second address behind another hostname", "udp", Bed.secondV4, 443, agent, nil, false,
                     "\"destination\":\"198.18.0.3\",\"destinationPort\":443,\"uid\":\(agent)"),
                    ("a process in the gateway's group but not its uid", "tcp", Bed.apiV4, 2379, member, gatewayGID, false,
                     "\"destinationPort\":2379,\"uid\":\(member),\"gid\":\(gatewayGID)"),
                    ("a container behind a bridge", "tcp", Bed.apiV4, 22, 0, nil, true,
                     "\"source\":\"198.19.0.2\""),
                ]
                for (what, mode, host, port, uid, gid, fromContainer, marker) in cases {
                    let result = try await bed.attempt(mode, host, port, uid: uid, gid: gid, from: fromContainer ? bed.container : nil,
                                                       timeout: 1)
                    #expect(result["connected"] != true, "\(what): connected: \(result)")
                    #expect(result["reply"]?.stringValue == nil, "\(what): got a reply: \(result)")
                    let line = try await gateway.waitForLine(containing: marker, timeout: .seconds(10))
                    let event = try JSONParser.parse(line)
                    #expect(event["event"] == "bypass_attempt", "\(what): \(line)")
                    if fromContainer {
                        #expect(event["uid"] == nil, "\(what): forwarded packets carry no uid: \(line)")
                        #expect(event["inInterface"] == "br-pcl", "\(what): \(line)")
                    }
                }
            }
        }

        @Test("a connection opened before the install is ended and recorded with its uid")
        func preexistingConnectionIsEnded() async throws {
            try await Bed.with { bed in
                _ = try await bed.startAPIServer()
                let held = try await bed.holdConnection(Bed.apiV4, 6443)
                let gateway = try await bed.startGateway()
                _ = try await held.waitForExit(timeout: .seconds(10))
                let ending = try JSONParser.parse(held.standardOutput.split(separator: "\n").last.map(String.init) ?? "")
                #expect(ending["ended"] != nil, "\(held.report)")
                let recorded = Bed.events(gateway, kind: "bypass_attempt").filter { $0["note"] != nil && $0["destinationPort"] == 6443 }
                #expect(recorded.first?["uid"] == .int(Int64(Bed.agentUID)), "\(gateway.report)")
            }
        }

        @Test("with the guard killed, traffic to the API server is still blocked")
        func killedGuardStillBlocks() async throws {
            try await Bed.with { bed in
                _ = try await bed.startAPIServer()
                let gateway = try await bed.startGateway()
                gateway.kill()
                _ = try await gateway.waitForExit(timeout: .seconds(10))
                let tcp = try await bed.attempt("tcp", Bed.apiV4, 22, timeout: 1)
                #expect(tcp["connected"] == false, "\(tcp)")
                let udp = try await bed.attempt("udp", Bed.apiV4, 53, timeout: 1)
                #expect(udp["reply"] == .null, "\(udp)")
                let direct = try await bed.attempt("tcp", Bed.apiV4, 6443, timeout: 1)
                #expect(direct["received"]?.stringValue?.contains("banner") != true, "steered, not direct: \(direct)")
                let verify = try bed.portcullis(["rules", "verify"])
                #expect(verify.status == .exited(1) && verify.standardOutput.contains("has no listener"), "\(verify)")
            }
        }

        @Test("chains flushed by hand are restored and recorded within 2 seconds")
        func tamperIsRestoredAndRecorded() async throws {
            try await Bed.with { bed in
                let gateway = try await bed.startGateway()
                let flushed = ContinuousClock.now
                Self.requireSuccess(try bed.agent.run("/usr/sbin/iptables", ["-t", "mangle", "-F", "PORTCULLIS_POSTROUTING"]), "flush")
                let line = try await gateway.waitForLine(containing: "\"event\":\"tamper\"", timeout: .seconds(5))
                let elapsed = ContinuousClock.now - flushed
                #expect(elapsed < .seconds(2), "restored after \(elapsed)")
                let event = try JSONParser.parse(line)
                #expect(event["restored"] == true, "\(line)")
                #expect(event["drift"]?.arrayValue?.contains { $0.stringValue?.contains("PORTCULLIS_POSTROUTING changed") == true } == true, "\(line)")
                let verify = try bed.portcullis(["rules", "verify"])
                #expect(verify.status == .exited(0), "\(verify)")
            }
        }
    }

    /// Backend choice and drift reporting on real tables.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct InterceptBackendAndDriftTests {
        typealias Bed = InterceptTestbed

        @Test("on a host whose rules are in legacy iptables, the rules go to legacy too")
        func legacyHostGetsLegacyRules() async throws {
            try await Bed.with { bed in
                for tool in ["iptables-legacy", "ip6tables-legacy"] {
                    let seeded = try bed.agent.run("/usr/sbin/\(tool)", ["-t", "filter", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"])
                    #expect(seeded.status.isSuccess, "\(seeded)")
                }
                let apply = try bed.portcullis(["rules", "apply"])
                #expect(apply.status.isSuccess && apply.standardError.contains("legacy backend"), "\(apply)")
                #expect(try bed.agent.run("/usr/sbin/iptables-legacy-save").standardOutput.contains("PORTCULLIS_POSTROUTING"))
                #expect(try bed.agent.run("/usr/sbin/ip6tables-legacy-save").standardOutput.contains("PORTCULLIS_POSTROUTING"))
                #expect(!(try bed.agent.run("/usr/sbin/iptables-nft-save").standardOutput.contains("PORTCULLIS")))
                #expect(try bed.portcullis(["rules", "remove"]).status.isSuccess)
                #expect(!(try bed.agent.run("/usr/sbin/iptables-legacy-save").standardOutput.contains("PORTCULLIS")))
            }
        }

        @Test("verify names each kind of drift precisely and exits 1")
        func verifyNamesDrift() async throws {
            try await Bed.with { bed in
                #expect(try bed.portcullis(["rules", "apply"]).status.isSuccess)
                let tamper: [(String, [String])] = [
                    ("/usr/sbin/iptables", ["-t", "nat", "-D", "OUTPUT", "1"]),
                    ("/usr/sbin/iptables", ["-t", "mangle", "-I", "POSTROUTING", "1", "-j", "ACCEPT"]),
                    ("/usr/sbin/ip6tables", ["-t", "filter", "-A", "INPUT", "-j", "PORTCULLIS_INPUT"]),
                    ("/usr/sbin/iptables", ["-t", "filter", "-D", "PORTCULLIS_INPUT", "3"]),
                    ("/usr/sbin/ipset", ["del", "portcullis-addresses-v4", Bed.secondV4]),
                ]
                for (tool, arguments) in tamper {
                    let result = try bed.agent.run(tool, arguments)
                    #expect(result.status.isSuccess, "\(tool) \(arguments): \(result)")
                }
                let verify = try bed.portcullis(["rules", "verify"])
                #expect(verify.status == .exited(1), "\(verify)")
                for expected in [
                    "IPv4 nat OUTPUT: the jump to PORTCULLIS_OUTPUT is missing",
                    "IPv4 mangle POSTROUTING: the jump to PORTCULLIS_POSTROUTING is rule 2, not rule 1",
                    "IPv6 filter INPUT: the jump to PORTCULLIS_INPUT appears 2 times",
                    "IPv4 filter: chain PORTCULLIS_INPUT changed: missing rule(s): `-p tcp -m tcp --dport 15443 -m comment --comment \"portcullis: nothing else reaches the gateway port\" -j DROP`",
                    "ipset portcullis-addresses-v4 lacks 198.18.0.3",
                    "netfilter queue 4242 has no listener",
                ] {
                    #expect(verify.standardOutput.contains(expected), "expected «\(expected)» in:\n\(verify.standardOutput)")
                }
                #expect(try bed.portcullis(["rules", "apply"]).status.isSuccess)
                let after = try bed.portcullis(["rules", "verify", "--json"])
                #expect(after.standardOutput.contains("\"drift\":[\"netfilter queue 4242 has no listener"), "\(after)")
            }
        }
    }
}
