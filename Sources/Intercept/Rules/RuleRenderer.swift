/// Renders the gateway's rules from the configuration: `iptables-restore` text per family and the
/// `ipset restore` text holding the endpoint sets. Pure: the same input always gives the same text,
/// which the golden files under `iptables/` pin.
public struct RuleRenderer: Sendable {
    public let configuration: InterceptConfiguration
    public let endpoints: ResolvedEndpoints

    public init(configuration: InterceptConfiguration, endpoints: ResolvedEndpoints) {
        self.configuration = configuration
        self.endpoints = endpoints
    }

    /// Our chains' rules for `family`, grouped by table in apply order.
    public func rules(_ family: AddressFamily) -> [(table: String, chains: [String], rules: [IptablesRule])] {
        [
            ("nat", [ChainNames.natOutput, ChainNames.natPrerouting], natRules(family)),
            ("mangle", [ChainNames.manglePostrouting], mangleRules(family)),
            ("filter", [ChainNames.filterInput], filterRules(family)),
        ]
    }

    /// The `iptables-restore --noflush` text for `family`. Declaring our chains flushes and refills
    /// them atomically per table; built-in chains and every other chain are left alone.
    public func restoreText(_ family: AddressFamily) -> String {
        var lines = ["# Portcullis rules for \(family == .v4 ? "IPv4 (iptables)" : "IPv6 (ip6tables)"). Rendered; do not edit."]
        for (table, chains, rules) in rules(family) {
            lines.append("*\(table)")
            lines += chains.map { ":\($0) - [0:0]" }
            lines += rules.map(\.restoreLine)
            lines.append("COMMIT")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `ipset restore` text creating and filling the four sets.
    public func ipsetText() -> String {
        var lines = ["# Portcullis endpoint sets. Rendered; do not edit."]
        for family in AddressFamily.allCases {
            let inet = family == .v4 ? "inet" : "inet6"
            lines.append("create \(ChainNames.endpointSet(family)) hash:ip,port family \(inet) hashsize 64 maxelem 65536")
            lines.append("create \(ChainNames.addressSet(family)) hash:ip family \(inet) hashsize 64 maxelem 65536")
        }
        for family in AddressFamily.allCases {
            lines += endpointMembers(family).map { "add \(ChainNames.endpointSet(family)) \($0)" }
            lines += addressMembers(family).map { "add \(ChainNames.addressSet(family)) \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Members of the endpoint set as `ipset` writes them: `10.0.0.10,tcp:6443`.
    public func endpointMembers(_ family: AddressFamily) -> [String] {
        endpoints.endpoints(family).map { "\($0.address),tcp:\($0.port)" }
    }

    /// Members of the address set: `10.0.0.10`. Loopback addresses are left out: every port of an
    /// API server's own address is guarded, but on loopback only the endpoint's port is (through
    /// the endpoint set), or every local service on 127.0.0.1 would be cut off.
    public func addressMembers(_ family: AddressFamily) -> [String] {
        endpoints.addresses(family).filter { !$0.isLoopback }.map(\.description)
    }

    private var uid: String { String(configuration.gatewayUID) }
    private var port: String { String(configuration.proxyPort) }

    private func loopback(_ family: AddressFamily) -> String { family == .v4 ? "127.0.0.1/32" : "::1/128" }

    private func natRules(_ family: AddressFamily) -> [IptablesRule] {
        let steer: [[String]] = [["-m", "set", "--match-set", ChainNames.endpointSet(family), "dst,dst"]]
        let redirect = ["-j", "REDIRECT", "--to-ports", port]
        var rules = [
            IptablesRule(chain: ChainNames.natOutput, matches: [["-m", "owner", "--uid-owner", uid]],
                         comment: "portcullis: connections of the gateway uid are not redirected", target: ["-j", "RETURN"]),
            IptablesRule(chain: ChainNames.natOutput, transport: "tcp", matches: steer,
                         comment: "portcullis: steer connections to API endpoints into the gateway", target: redirect),
        ]
        for bridge in configuration.bridgeInterfaces {
            rules.append(IptablesRule(chain: ChainNames.natPrerouting, inInterface: bridge, transport: "tcp", matches: steer,
                                      comment: "portcullis: steer bridge traffic to API endpoints into the gateway", target: redirect))
        }
        return rules
    }

    private func mangleRules(_ family: AddressFamily) -> [IptablesRule] {
        let chain = ChainNames.manglePostrouting
        var rules = [
            IptablesRule(chain: chain, matches: [["-m", "conntrack", "--ctstate", "ESTABLISHED"]],
                         comment: "portcullis: established flows were admitted when they started", target: ["-j", "RETURN"]),
            IptablesRule(chain: chain, destination: loopback(family), outInterface: "lo", transport: "tcp",
                         matches: [["-m", "tcp", "--dport", port], ["-m", "conntrack", "--ctstate", "DNAT"]],
                         comment: "portcullis: connections redirected into the gateway", target: ["-j", "RETURN"]),
            IptablesRule(chain: chain, matches: [["-m", "owner", "--uid-owner", uid]],
                         comment: "portcullis: connections of the gateway uid to API servers", target: ["-j", "RETURN"]),
        ]
        if family == .v6 {
            for (type, name) in [("135", "neighbour solicitation"), ("136", "neighbour advertisement")] {
                rules.append(IptablesRule(chain: chain, transport: "ipv6-icmp", matches: [["-m", "icmp6", "--icmpv6-type", type]],
                                          comment: "portcullis: \(name) to an on-link API server", target: ["-j", "RETURN"]))
            }
        }
        let queue = ["-j", "NFQUEUE", "--queue-num", String(configuration.queueNumber)]
        rules.append(IptablesRule(chain: chain, matches: [["-m", "set", "--match-set", ChainNames.endpointSet(family), "dst,dst"]],
                                  comment: "portcullis: an API endpoint reached without the gateway is dropped and recorded",
                                  target: queue))
        rules.append(IptablesRule(chain: chain, matches: [["-m", "set", "--match-set", ChainNames.addressSet(family), "dst"]],
                                  comment: "portcullis: anything else to an API server is dropped and recorded (fail closed)",
                                  target: queue))
        return rules
    }

    private func filterRules(_ family: AddressFamily) -> [IptablesRule] {
        let chain = ChainNames.filterInput
        let dport: [String] = ["-m", "tcp", "--dport", port]
        return [
            IptablesRule(chain: chain, inInterface: "lo", transport: "tcp", matches: [dport],
                         comment: "portcullis: loopback clients may reach the gateway port", target: ["-j", "RETURN"]),
            IptablesRule(chain: chain, transport: "tcp", matches: [dport, ["-m", "conntrack", "--ctstate", "DNAT"]],
                         comment: "portcullis: redirected connections may reach the gateway port", target: ["-j", "RETURN"]),
            IptablesRule(chain: chain, transport: "tcp", matches: [dport],
                         comment: "portcullis: nothing else reaches the gateway port", target: ["-j", "DROP"]),
        ]
    }

    /// A jump from a built-in chain to ours, as inserted at position 1.
    public static func jumpRule(builtin: String, chain: String) -> IptablesRule {
        IptablesRule(chain: builtin, comment: ChainNames.jumpComment, target: ["-j", chain])
    }
}
