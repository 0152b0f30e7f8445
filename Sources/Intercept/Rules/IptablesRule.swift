/// One iptables rule, kept in the order `iptables-save` prints its parts: addresses, interfaces and
/// protocol first, then the match modules in the order given, then the target. Rendering in that
/// order lets a rule read back from the kernel compare equal to the rule we rendered.
public struct IptablesRule: Sendable, Hashable {
    public var chain: String
    public var destination: String?
    public var inInterface: String?
    public var outInterface: String?
    public var transport: String?
    /// Match modules with their options, e.g. `["-m", "owner", "--uid-owner", "990"]`.
    public var matches: [[String]]
    public var comment: String
    /// `["-j", "RETURN"]`, `["-j", "REDIRECT", "--to-ports", "15443"]`.
    public var target: [String]

    public init(chain: String, destination: String? = nil, inInterface: String? = nil, outInterface: String? = nil,
                transport: String? = nil, matches: [[String]] = [], comment: String, target: [String]) {
        self.chain = chain
        self.destination = destination
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.transport = transport
        self.matches = matches
        self.comment = comment
        self.target = target
    }

    /// The arguments after `-A CHAIN`, unquoted.
    public var specification: [String] {
        var tokens: [String] = []
        if let destination { tokens += ["-d", destination] }
        if let inInterface { tokens += ["-i", inInterface] }
        if let outInterface { tokens += ["-o", outInterface] }
        if let transport { tokens += ["-p", transport] }
        for match in matches { tokens += match }
        tokens += ["-m", "comment", "--comment", comment]
        return tokens + target
    }

    /// The rule as an `iptables-restore` line: `-A CHAIN ...`, with the comment quoted as
    /// `iptables-save` quotes it.
    public var restoreLine: String {
        (["-A", chain] + specification).map(Self.quoteIfNeeded).joined(separator: " ")
    }

    static func quoteIfNeeded(_ token: String) -> String {
        guard token.isEmpty || token.contains(where: { $0 == " " || $0 == "\"" || $0 == "'" || $0 == "\\" }) else { return token }
        return "\"" + token.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
}
