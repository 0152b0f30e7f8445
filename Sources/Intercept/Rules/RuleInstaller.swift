import Foundation

/// Applies and removes the rendered rules on the live host.
///
/// Invariants:
/// - Our chains are replaced with one `iptables-restore --noflush` per family, which is atomic per
///   table; no other chain's rules are touched.
/// - Each jump to our chains ends up exactly once, at position 1. A missing jump is inserted at 1
///   before any duplicate is deleted, so there is never a moment without one.
/// - While reconciling, guardrails in filter OUTPUT and FORWARD drop every new flow to an API
///   address (except the gateway's own), so nothing slips through a half-applied state.
/// - A set whose members changed is refilled by building a `-new` set and swapping it in.
public struct RuleInstaller: Sendable {
    public let renderer: RuleRenderer
    public let backend: NetfilterBackend
    public let runner: any CommandRunner

    public init(renderer: RuleRenderer, backend: NetfilterBackend, runner: any CommandRunner = ProcessCommandRunner()) {
        self.renderer = renderer
        self.backend = backend
        self.runner = runner
    }

    /// Installs or reconciles everything; converges to the same state however often it runs.
    /// - Parameters:
    ///   - killExisting: afterwards, end connections to API addresses opened before, so no earlier
    ///     flow escapes the record.
    ///   - recorder: gets a bypass attempt for each local connection that was ended.
    public func apply(killExisting: Bool, recorder: (any InterceptRecorder)? = nil) throws(CommandError) {
        try insertGuardrails()
        do {
            try applySets()
            for family in backend.families { try applyChains(family) }
            for family in backend.families { try fixJumps(family) }
            if killExisting { killConnections(recorder: recorder) }
        } catch {
            try? removeGuardrails()
            throw error
        }
        try removeGuardrails()
    }

    /// Removes our jumps, chains and sets, and leaves every other rule as it was. Idempotent.
    public func remove() throws(CommandError) {
        for family in backend.families {
            var saved = try save(family)
            for jump in ChainNames.jumps {
                for position in RuleVerifier.jumpPositions(saved.table(jump.table), builtin: jump.builtin, chain: jump.chain).reversed() {
                    try runner.check(backend.iptables(family), ["-w", "30", "-t", jump.table, "-D", jump.builtin, String(position)])
                }
            }
            try removeGuardrails(family)
            saved = try save(family)
            var lines: [String] = []
            for table in ChainNames.tables {
                let ours = saved.table(table).chains.filter { $0.hasPrefix(ChainNames.prefix) }
                guard !ours.isEmpty else { continue }
                lines += ["*\(table)"] + ours.map { "-F \($0)" } + ours.map { "-X \($0)" } + ["COMMIT"]
            }
            if !lines.isEmpty { try restore(family, lines.joined(separator: "\n") + "\n") }
        }
        let sets = SavedSets(parsing: try runner.check(IPSetTool.path, ["save"]))
        for name in sets.members.keys.sorted() where name.hasPrefix(ChainNames.ipsetPrefix) {
            try runner.check(IPSetTool.path, ["destroy", name])
        }
    }

    private func save(_ family: AddressFamily) throws(CommandError) -> SavedTables {
        SavedTables(parsing: try runner.check(backend.save(family), []))
    }

    private func restore(_ family: AddressFamily, _ text: String) throws(CommandError) {
        try runner.check(backend.restore(family), ["--noflush", "-w", "30"], input: text)
    }

    /// Rebuilds each set whose members differ (a `-new` set swapped in); leaves equal sets alone,
    /// so applying again changes nothing.
    private func applySets() throws(CommandError) {
        let saved = SavedSets(parsing: try runner.check(IPSetTool.path, ["save"]))
        var lines: [String] = []
        for family in AddressFamily.allCases {
            let inet = family == .v4 ? "inet" : "inet6"
            for (name, type, members) in [(ChainNames.endpointSet(family), "hash:ip,port", renderer.endpointMembers(family)),
                                          (ChainNames.addressSet(family), "hash:ip", renderer.addressMembers(family))] {
                let staging = name + "-new"
                if saved.members[staging] != nil { lines.append("destroy \(staging)") }
                if saved.members[name] == Set(members) { continue }
                lines.append("create \(name) \(type) family \(inet) hashsize 64 maxelem 65536 -exist")
                lines.append("create \(staging) \(type) family \(inet) hashsize 64 maxelem 65536")
                lines += members.map { "add \(staging) \($0)" }
                lines.append("swap \(staging) \(name)")
                lines.append("destroy \(staging)")
            }
        }
        guard !lines.isEmpty else { return }
        try runner.check(IPSetTool.path, ["restore"], input: lines.joined(separator: "\n") + "\n")
    }

    /// Replaces our chains and inserts any missing jump at position 1, in one restore per family.
    private func applyChains(_ family: AddressFamily) throws(CommandError) {
        let saved = try save(family)
        var lines: [String] = []
        for (table, chains, rules) in renderer.rules(family) {
            lines.append("*\(table)")
            lines += chains.map { ":\($0) - [0:0]" }
            lines += rules.map(\.restoreLine)
            for jump in ChainNames.jumps where jump.table == table {
                if RuleVerifier.jumpPositions(saved.table(table), builtin: jump.builtin, chain: jump.chain).isEmpty {
                    lines.append(jumpLine("-I", jump.builtin, jump.chain, position: 1))
                }
            }
            lines.append("COMMIT")
        }
        try restore(family, lines.joined(separator: "\n") + "\n")
    }

    private func jumpLine(_ op: String, _ builtin: String, _ chain: String, position: Int? = nil) -> String {
        let rule = RuleRenderer.jumpRule(builtin: builtin, chain: chain)
        return ([op, builtin] + (position.map { [String($0)] } ?? []) + rule.specification).map(IptablesRule.quoteIfNeeded)
            .joined(separator: " ")
    }

    /// Leaves exactly one jump per built-in chain, at position 1.
    private func fixJumps(_ family: AddressFamily) throws(CommandError) {
        for jump in ChainNames.jumps {
            var positions = RuleVerifier.jumpPositions(try save(family).table(jump.table), builtin: jump.builtin, chain: jump.chain)
            if positions.first != 1 {
                try restore(family, "*\(jump.table)\n\(jumpLine("-I", jump.builtin, jump.chain, position: 1))\nCOMMIT\n")
                positions = [1] + positions.map { $0 + 1 }
            }
            for position in positions.dropFirst().reversed() {
                try runner.check(backend.iptables(family), ["-w", "30", "-t", jump.table, "-D", jump.builtin, String(position)])
            }
        }
    }

    /// Drops of new flows to each API address (to each loopback endpoint's port only), in filter
    /// OUTPUT (except the gateway's uid) and FORWARD.
    private func guardrailRules(_ family: AddressFamily) -> [IptablesRule] {
        let host = family == .v4 ? "/32" : "/128"
        let notEstablished = ["-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED"]
        let exemptGateway = ["-m", "owner", "!", "--uid-owner", String(renderer.configuration.gatewayUID)]
        var targets: [(destination: String, transport: String?, port: [[String]])] = renderer.endpoints.addresses(family)
            .filter { !$0.isLoopback }.map { ($0.description + host, nil, []) }
        targets += renderer.endpoints.endpoints(family).filter { $0.address.isLoopback }.map {
            ($0.address.description + host, "tcp", [["-m", "tcp", "--dport", String($0.port)]])
        }
        return targets.flatMap { target -> [IptablesRule] in
            [
                IptablesRule(chain: "OUTPUT", destination: target.destination, transport: target.transport,
                             matches: target.port + [exemptGateway, notEstablished], comment: ChainNames.guardrailComment,
                             target: ["-j", "DROP"]),
                IptablesRule(chain: "FORWARD", destination: target.destination, transport: target.transport,
                             matches: target.port + [notEstablished], comment: ChainNames.guardrailComment, target: ["-j", "DROP"]),
            ]
        }
    }

    private func insertGuardrails() throws(CommandError) {
        for family in backend.families {
            let rules = guardrailRules(family)
            guard !rules.isEmpty else { continue }
            let lines = rules.map { (["-I", $0.chain, "1"] + $0.specification).map(IptablesRule.quoteIfNeeded).joined(separator: " ") }
            try restore(family, "*filter\n" + lines.joined(separator: "\n") + "\nCOMMIT\n")
        }
    }

    private func removeGuardrails() throws(CommandError) {
        for family in backend.families { try removeGuardrails(family) }
    }

    private func removeGuardrails(_ family: AddressFamily) throws(CommandError) {
        let filter = try save(family).table("filter")
        for builtin in ["OUTPUT", "FORWARD"] {
            let positions = filter.rules(of: builtin).enumerated().filter { RuleVerifier.isGuardrail($0.element) }.map { $0.offset + 1 }
            for position in positions.reversed() {
                try runner.check(backend.iptables(family), ["-w", "30", "-t", "filter", "-D", builtin, String(position)])
            }
        }
    }

    /// Ends the connections to API servers opened before the rules, recording each local one.
    /// Best effort: a flow that survives is still caught by the guard.
    public func killConnections(recorder: (any InterceptRecorder)? = nil) {
        ExistingConnections(renderer: renderer, families: backend.families, runner: runner).end(recorder: recorder)
    }
}

/// Paths of the other system tools.
enum SystemTools {
    static func find(_ name: String) -> String {
        NetfilterBackend.searchDirectories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "/usr/sbin/\(name)"
    }

    static var ss: String { find("ss") }
    static var conntrack: String { find("conntrack") }
}
