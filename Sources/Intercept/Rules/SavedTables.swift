/// The output of `iptables-save`, parsed: per table, the chains in order and each chain's rules as
/// their argument tokens (after `-A CHAIN`, quotes removed).
public struct SavedTables: Sendable, Hashable {
    public struct Table: Sendable, Hashable {
        public var chains: [String] = []
        public var rules: [String: [[String]]] = [:]

        public func rules(of chain: String) -> [[String]] { rules[chain] ?? [] }
    }

    public var tables: [String: Table] = [:]

    public init(parsing text: String) {
        var current: String?
        for rawLine in text.split(separator: "\n") {
            let line = String(rawLine)
            if line.hasPrefix("#") || line == "COMMIT" { continue }
            if line.hasPrefix("*") {
                current = String(line.dropFirst())
                tables[current ?? "", default: Table()] = tables[current ?? ""] ?? Table()
            } else if line.hasPrefix(":"), let table = current {
                let name = String(line.dropFirst().split(separator: " ").first ?? "")
                tables[table]?.chains.append(name)
            } else if line.hasPrefix("-A "), let table = current {
                let tokens = Self.tokenize(line)
                guard tokens.count >= 2 else { continue }
                tables[table]?.rules[tokens[1], default: []].append(Array(tokens.dropFirst(2)))
            }
        }
    }

    public func table(_ name: String) -> Table { tables[name] ?? Table() }

    /// Splits a saved rule line the way iptables-save quotes it: double quotes, inside which a
    /// backslash escapes the next character (`\"`, `\\`, `\'`).
    static func tokenize(_ line: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var inQuotes = false
        var hasToken = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if inQuotes {
                if c == "\\", let next = chars.first {
                    current.append(next)
                    chars.removeFirst()
                } else if c == "\"" {
                    inQuotes = false
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
                hasToken = true
            } else if c == " " {
                if hasToken || !current.isEmpty { tokens.append(current) }
                current = ""
                hasToken = false
            } else {
                current.append(c)
            }
        }
        if hasToken || !current.isEmpty { tokens.append(current) }
        return tokens
    }
}

/// `ipset save` output, parsed: the sets that exist and their members.
public struct SavedSets: Sendable, Hashable {
    public var members: [String: Set<String>] = [:]

    public init(parsing text: String) {
        for line in text.split(separator: "\n") {
            let tokens = line.split(separator: " ").map(String.init)
            guard tokens.count >= 2 else { continue }
            if tokens[0] == "create" {
                members[tokens[1], default: []] = members[tokens[1]] ?? []
            } else if tokens[0] == "add", tokens.count >= 3 {
                members[tokens[1], default: []].insert(tokens[2])
            }
        }
    }
}
