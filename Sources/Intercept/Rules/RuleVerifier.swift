/// Compares the installed rules and sets with what the configuration renders, naming every
/// difference. Comparison is on the argument tokens `iptables-save` prints, which the renderer
/// produces in the same order, so the kernel's round trip does not count as drift.
public struct RuleVerifier: Sendable {
    public let renderer: RuleRenderer
    public let backend: NetfilterBackend

    public init(renderer: RuleRenderer, backend: NetfilterBackend) {
        self.renderer = renderer
        self.backend = backend
    }

    /// Reads the live state with `runner` and returns the drift, if any.
    /// - Parameter checkQueue: also report a queue with no listener (skip it inside the guard itself).
    public func verify(runner: some CommandRunner = ProcessCommandRunner(), checkQueue: Bool,
                       queueListening: () -> Bool) throws(CommandError) -> [Drift] {
        var drift: [Drift] = []
        for family in backend.families {
            let saved = SavedTables(parsing: try runner.check(backend.save(family), []))
            drift += compare(saved, family: family)
        }
        drift += compareSets(SavedSets(parsing: try runner.check(IPSetTool.path, ["save"])))
        if checkQueue, !queueListening() {
            drift.append(.queueWithoutListener(queue: renderer.configuration.queueNumber))
        }
        return drift
    }

    /// The drift between `saved` and the rendered rules of `family`.
    public func compare(_ saved: SavedTables, family: AddressFamily) -> [Drift] {
        var drift: [Drift] = []
        for (table, chains, rules) in renderer.rules(family) {
            let live = saved.table(table)
            for chain in chains {
                guard live.chains.contains(chain) else {
                    drift.append(.chainMissing(family: family, table: table, chain: chain))
                    continue
                }
                let expected = rules.filter { $0.chain == chain }.map(\.specification)
                if let change = Self.difference(expected: expected, actual: live.rules(of: chain)) {
                    drift.append(.chainChanged(family: family, table: table, chain: chain, missing: change.missing,
                                               unexpected: change.unexpected, reordered: change.reordered))
                }
            }
        }
        for jump in ChainNames.jumps {
            drift += jumpDrift(saved.table(jump.table), family: family, table: jump.table, builtin: jump.builtin, chain: jump.chain)
        }
        for builtin in ["OUTPUT", "FORWARD"] where saved.table("filter").rules(of: builtin).contains(where: Self.isGuardrail) {
            drift.append(.guardrailLeft(family: family, builtin: builtin))
        }
        return drift
    }

    private func jumpDrift(_ table: SavedTables.Table, family: AddressFamily, table name: String, builtin: String,
                           chain: String) -> [Drift] {
        let positions = Self.jumpPositions(table, builtin: builtin, chain: chain)
        if positions.isEmpty { return [.jumpMissing(family: family, table: name, builtin: builtin, chain: chain)] }
        var drift: [Drift] = []
        if positions.count > 1 {
            drift.append(.jumpDuplicated(family: family, table: name, builtin: builtin, chain: chain, count: positions.count))
        }
        if positions[0] != 1 {
            drift.append(.jumpNotFirst(family: family, table: name, builtin: builtin, chain: chain, position: positions[0]))
        }
        return drift
    }

    /// 1-based positions of rules in `builtin` that jump to `chain`.
    static func jumpPositions(_ table: SavedTables.Table, builtin: String, chain: String) -> [Int] {
        table.rules(of: builtin).enumerated().compactMap { index, tokens in
            tokens.suffix(2) == ["-j", chain] || tokens.suffix(2) == ["-g", chain] ? index + 1 : nil
        }
    }

    static func isGuardrail(_ tokens: [String]) -> Bool {
        tokens.contains(ChainNames.guardrailComment)
    }

    private func compareSets(_ saved: SavedSets) -> [Drift] {
        var drift: [Drift] = []
        for family in AddressFamily.allCases {
            for (name, expected) in [(ChainNames.endpointSet(family), renderer.endpointMembers(family)),
                                     (ChainNames.addressSet(family), renderer.addressMembers(family))] {
                guard let live = saved.members[name] else {
                    drift.append(.setMissing(name: name))
                    continue
                }
                drift += expected.filter { !live.contains($0) }.map { .setMemberMissing(name: name, member: $0) }
                drift += live.subtracting(expected).sorted().map { .setMemberUnexpected(name: name, member: $0) }
            }
        }
        return drift
    }

    static func difference(expected: [[String]], actual: [[String]]) -> (missing: [String], unexpected: [String], reordered: Bool)? {
        guard expected != actual else { return nil }
        let render = { (tokens: [String]) in tokens.map(IptablesRule.quoteIfNeeded).joined(separator: " ") }
        let missing = expected.filter { !actual.contains($0) }.map(render)
        let unexpected = actual.filter { !expected.contains($0) }.map(render)
        return (missing, unexpected, missing.isEmpty && unexpected.isEmpty)
    }
}

/// Where `ipset` lives.
public enum IPSetTool {
    public static var path: String { SystemTools.find("ipset") }
}
