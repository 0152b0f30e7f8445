/// A label selector in the string form apimachinery's `labels.Parse` accepts:
/// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, `a>1`, `a<1`, comma-separated.
///
/// The lexer and parser follow `labels.Parse` token for token, including its validation of keys
/// (qualified names) and values (label values), so a selector is accepted exactly when
/// kube-apiserver accepts it.
public struct LabelSelector: Sendable, Hashable {
    public enum Operator: Sendable, Hashable {
        case equals, notEquals, `in`, notIn, exists, doesNotExist, greaterThan, lessThan
    }

    public struct Requirement: Sendable, Hashable {
        public var key: String
        public var op: Operator
        /// Sorted and without duplicates, as Go's `sets.String.List()` gives them.
        public var values: [String]

        func matches(_ labels: [String: String]) -> Bool {
            let actual = labels[key]
            switch op {
            case .equals, .in: return actual.map(values.contains) ?? false
            case .notEquals, .notIn: return actual.map { !values.contains($0) } ?? true
            case .exists: return actual != nil
            case .doesNotExist: return actual == nil
            case .greaterThan, .lessThan:
                guard let a = actual.flatMap({ Int64($0) }), values.count == 1, let b = Int64(values[0]) else { return false }
                return op == .greaterThan ? a > b : a < b
            }
        }
    }

    /// Sorted by key, as `labels.Parse` sorts them.
    public var requirements: [Requirement]

    public init(parsing selector: String) throws(SelectorParseError) {
        var parser = Parser(selector)
        do {
            requirements = try parser.parse()
        } catch {
            throw SelectorParseError(selector: selector, message: error.message)
        }
    }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }
}

// MARK: - labels.Parse

private struct ParseFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

private enum Token: Equatable {
    case endOfString, closedPar, comma, doesNotExist, doubleEquals, equals, greaterThan, identifier
    case `in`, lessThan, notEquals, notIn, openPar
}

private enum ParserContext { case keyAndOperator, values }

private struct Parser {
    static let keywords: [String: Token] = [
        ")": .closedPar, ",": .comma, "!": .doesNotExist, "==": .doubleEquals, "=": .equals, ">": .greaterThan,
        "in": .in, "<": .lessThan, "!=": .notEquals, "notin": .notIn, "(": .openPar,
    ]

    var items: [(token: Token, literal: String)] = []
    var position = 0

    init(_ selector: String) {
        var lexer = Lexer(bytes: Array(selector.utf8))
        while true {
            let item = lexer.lex()
            items.append(item)
            if item.token == .endOfString { break }
        }
    }

    func lookahead(_ context: ParserContext) -> (Token, String) {
        Self.inContext(items[position], context)
    }

    mutating func consume(_ context: ParserContext) -> (Token, String) {
        position += 1
        return Self.inContext(items[position - 1], context)
    }

    /// In a values context the keywords `in` and `notin` are plain identifiers.
    private static func inContext(_ item: (token: Token, literal: String), _ context: ParserContext) -> (Token, String) {
        if context == .values, item.token == .in || item.token == .notIn { return (.identifier, item.literal) }
        return (item.token, item.literal)
    }

    mutating func parse() throws(ParseFailure) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        loop: while true {
            let (token, literal) = lookahead(.values)
            switch token {
            case .identifier, .doesNotExist:
                do {
                    requirements.append(try parseRequirement())
                } catch {
                    throw ParseFailure("unable to parse requirement: \(error.message)")
                }
                let (next, nextLiteral) = consume(.values)
                switch next {
                case .endOfString:
                    break loop
                case .comma:
                    let (after, afterLiteral) = lookahead(.values)
                    if after != .identifier, after != .doesNotExist {
                        throw ParseFailure("found '\(afterLiteral)', expected: identifier after ','")
                    }
                default:
                    throw ParseFailure("found '\(nextLiteral)', expected: ',' or 'end of string'")
                }
            case .endOfString:
                break loop
            default:
                throw ParseFailure("found '\(literal)', expected: !, identifier, or 'end of string'")
            }
        }
        // sort.Sort(ByKey) in Go; stable here so equal keys keep their order.
        return requirements.enumerated().sorted { a, b in
            a.element.key == b.element.key ? a.offset < b.offset
                : a.element.key.utf8.lexicographicallyPrecedes(b.element.key.utf8)
        }.map(\.element)
    }

    private mutating func parseRequirement() throws(ParseFailure) -> LabelSelector.Requirement {
        let (key, inferred) = try parseKeyAndInferOperator()
        if let inferred { return try Self.requirement(key, inferred, []) }
        let op = try parseOperator()
        let values: Set<String>
        switch op {
        case .in, .notIn: values = try parseValues()
        default: values = try parseExactValue()
        }
        return try Self.requirement(key, op, values.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    private mutating func parseKeyAndInferOperator() throws(ParseFailure) -> (String, LabelSelector.Operator?) {
        var op: LabelSelector.Operator?
        var (token, literal) = consume(.values)
        if token == .doesNotExist {
            op = .doesNotExist
            (token, literal) = consume(.values)
        }
        guard token == .identifier else { throw ParseFailure("found '\(literal)', expected: identifier") }
        if let problem = LabelValidation.qualifiedNameProblem(literal) {
            throw ParseFailure("Invalid value: \(goQuote(literal)): \(problem)")
        }
        let (next, _) = lookahead(.values)
        if next == .endOfString || next == .comma, op != .doesNotExist { op = .exists }
        return (literal, op)
    }

    private mutating func parseOperator() throws(ParseFailure) -> LabelSelector.Operator {
        let (token, literal) = consume(.keyAndOperator)
        switch token {
        case .in: return .in
        case .equals, .doubleEquals: return .equals
        case .greaterThan: return .greaterThan
        case .lessThan: return .lessThan
        case .notIn: return .notIn
        case .notEquals: return .notEquals
        default: throw ParseFailure("found '\(literal)', expected: in, notin, =, ==, !=, gt, lt")
        }
    }

    private mutating func parseValues() throws(ParseFailure) -> Set<String> {
        let (open, openLiteral) = consume(.values)
        guard open == .openPar else { throw ParseFailure("found '\(openLiteral)' expected: '('") }
        let (token, literal) = lookahead(.values)
        switch token {
        case .identifier, .comma:
            let values = try parseIdentifiersList()
            guard consume(.values).0 == .closedPar else { throw ParseFailure("found '\(literal)', expected: ')'") }
            return values
        case .closedPar:
            _ = consume(.values)
            return [""]
        default:
            throw ParseFailure("found '\(literal)', expected: ',', ')' or identifier")
        }
    }

    private mutating func parseIdentifiersList() throws(ParseFailure) -> Set<String> {
        var values: Set<String> = []
        while true {
            let (token, literal) = consume(.values)
            switch token {
            case .identifier:
                values.insert(literal)
                let (next, nextLiteral) = lookahead(.values)
                switch next {
                case .comma: continue
                case .closedPar: return values
                default: throw ParseFailure("found '\(nextLiteral)', expected: ',' or ')'")
                }
            case .comma:
                if values.isEmpty { values.insert("") }
                let (next, _) = lookahead(.values)
                if next == .closedPar {
                    values.insert("")
                    return values
                }
                if next == .comma {
                    _ = consume(.values)
                    values.insert("")
                }
            default:
                throw ParseFailure("found '\(literal)', expected: ',', or identifier")
            }
        }
    }

    private mutating func parseExactValue() throws(ParseFailure) -> Set<String> {
        let (next, _) = lookahead(.values)
        if next == .endOfString || next == .comma { return [""] }
        let (token, literal) = consume(.values)
        guard token == .identifier else { throw ParseFailure("found '\(literal)', expected: identifier") }
        return [literal]
    }

    /// `labels.NewRequirement`'s checks.
    private static func requirement(_ key: String, _ op: LabelSelector.Operator, _ values: [String]) throws(ParseFailure) -> LabelSelector.Requirement {
        var problems: [String] = []
        if let problem = LabelValidation.qualifiedNameProblem(key) {
            problems.append("key: Invalid value: \(goQuote(key)): \(problem)")
        }
        switch op {
        case .in, .notIn:
            if values.isEmpty { problems.append("values: Invalid value: for 'in', 'notin' operators, values set can't be empty") }
        case .equals, .notEquals:
            if values.count != 1 { problems.append("values: Invalid value: exact-match compatibility requires one single value") }
        case .exists, .doesNotExist:
            if !values.isEmpty { problems.append("values: Invalid value: values set must be empty for exists and does not exist") }
        case .greaterThan, .lessThan:
            if values.count != 1 { problems.append("values: Invalid value: for 'Gt', 'Lt' operators, exactly one value is required") }
            for (i, v) in values.enumerated() where Int64(v) == nil {
                problems.append("values[\(i)]: Invalid value: \(goQuote(v)): for 'Gt', 'Lt' operators, the value must be an integer")
            }
        }
        for (i, v) in values.enumerated() {
            if let problem = LabelValidation.labelValueProblem(v) {
                problems.append("values[\(i)][\(key)]: Invalid value: \(goQuote(v)): \(problem)")
            }
        }
        guard problems.isEmpty else {
            throw ParseFailure(problems.count == 1 ? problems[0] : "[" + problems.joined(separator: ", ") + "]")
        }
        return LabelSelector.Requirement(key: key, op: op, values: values)
    }
}

/// `labels.Lexer`, byte for byte. Like Go's, it reads a NUL byte as the end of the input.
private struct Lexer {
    let bytes: [UInt8]
    var pos = 0

    static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }

    static func isSpecialSymbol(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
             UInt8(ascii: ">"), UInt8(ascii: "<"): true
        default: false
        }
    }

    mutating func read() -> UInt8 {
        guard pos < bytes.count else { return 0 }
        pos += 1
        return bytes[pos - 1]
    }

    mutating func unread() { pos -= 1 }

    mutating func lex() -> (token: Token, literal: String) {
        var c = read()
        while Self.isWhitespace(c) { c = read() }
        if c == 0 { return (.endOfString, "") }
        unread()
        return Self.isSpecialSymbol(c) ? scanSpecialSymbol() : scanIDOrKeyword()
    }

    private mutating func scanIDOrKeyword() -> (token: Token, literal: String) {
        var buffer: [UInt8] = []
        while true {
            let c = read()
            if c == 0 { break }
            if Self.isSpecialSymbol(c) || Self.isWhitespace(c) {
                unread()
                break
            }
            buffer.append(c)
        }
        let text = String(decoding: buffer, as: UTF8.self)
        if let keyword = Parser.keywords[text] { return (keyword, text) }
        return (.identifier, text)
    }

    /// The longest run of special symbols that is a token: `!=` rather than `!`, `==` rather than `=`.
    private mutating func scanSpecialSymbol() -> (token: Token, literal: String) {
        var buffer: [UInt8] = []
        var last: (token: Token, literal: String)?
        while true {
            let c = read()
            if c == 0 { break }
            guard Self.isSpecialSymbol(c) else {
                unread()
                break
            }
            buffer.append(c)
            let text = String(decoding: buffer, as: UTF8.self)
            if let token = Parser.keywords[text] {
                last = (token, text)
            } else if last != nil {
                unread()
                break
            }
        }
        // Every single special symbol is a token, so `last` is always set.
        return last ?? (.endOfString, "")
    }
}

/// apimachinery's `validation.IsQualifiedName` and `IsValidLabelValue`.
enum LabelValidation {
    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    private static func isQualifiedNamePart(_ s: Substring) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, let last = b.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return b.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`, at most 253 bytes.
    static func isDNS1123Subdomain(_ s: Substring) -> Bool {
        guard s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let b = Array(label.utf8)
            func ok(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) }
            guard let first = b.first, let last = b.last, ok(first), ok(last) else { return false }
            return b.allSatisfy { ok($0) || $0 == UInt8(ascii: "-") }
        }
    }

    static func qualifiedNameProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'"
        }
        let name = parts[parts.count - 1]
        if parts.count == 2 {
            if parts[0].isEmpty { return "prefix part must be non-empty" }
            if !isDNS1123Subdomain(parts[0]) { return "prefix part must be a lowercase RFC 1123 subdomain" }
        }
        if name.isEmpty { return "name part must be non-empty" }
        if name.utf8.count > 63 { return "name part must be no more than 63 characters" }
        if !isQualifiedNamePart(name) {
            return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        }
        return nil
    }

    static func labelValueProblem(_ value: String) -> String? {
        if value.utf8.count > 63 { return "must be no more than 63 characters" }
        if value.isEmpty || isQualifiedNamePart(Substring(value)) { return nil }
        return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    }
}
