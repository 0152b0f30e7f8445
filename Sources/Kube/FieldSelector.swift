/// A field selector, parsed as apimachinery's `fields.ParseSelector` parses it: comma-separated
/// `field=value`, `field==value` or `field!=value` terms, with `\` escaping `\ , =` in values.
public struct FieldSelector: Sendable, Hashable {
    public struct Term: Sendable, Hashable {
        public var field: String
        public var value: String
        public var negated: Bool
    }

    /// Terms in the order apimachinery evaluates them (sorted by their text).
    public var terms: [Term]

    public init(parsing selector: String) throws(SelectorParseError) {
        terms = []
        for part in Self.splitTerms(selector).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !part.isEmpty {
            guard let (lhs, op, rhs) = Self.splitTerm(part) else {
                throw SelectorParseError(selector: selector, message: "invalid selector: '\(selector)'; can't understand '\(part)'")
            }
            let value = try Self.unescape(rhs, selector: selector)
            terms.append(Term(field: lhs, value: value, negated: op == "!="))
        }
    }

    /// The value the selector requires `field` to equal, as `RequiresExactMatch`.
    public func requiresExactMatch(_ field: String) -> String? {
        terms.first(where: { !$0.negated && $0.field == field })?.value
    }

    /// Whether an object whose fields have the given values satisfies every term. A field the
    /// object does not have never matches an equality term.
    public func matches(_ fieldValue: (String) -> String?) -> Bool {
        terms.allSatisfy { term in
            let actual = fieldValue(term.field)
            return term.negated ? actual != term.value : actual == term.value
        }
    }

    /// Splits on commas not escaped by a backslash; escapes stay in the terms. Works on scalars,
    /// as Go works on runes, so a combining mark never hides a separator.
    static func splitTerms(_ selector: String) -> [String] {
        guard !selector.isEmpty else { return [] }
        var terms: [String] = []
        var current = String.UnicodeScalarView()
        var inSlash = false
        for c in selector.unicodeScalars {
            if inSlash {
                inSlash = false
            } else if c == "\\" {
                inSlash = true
            } else if c == "," {
                terms.append(String(current))
                current = String.UnicodeScalarView()
                continue
            }
            current.append(c)
        }
        terms.append(String(current))
        return terms
    }

    /// Splits at the first `!=`, `==` or `=`, trying the operators in that order at each position.
    static func splitTerm(_ term: String) -> (String, String, String)? {
        let scalars = term.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let remaining = scalars[index...]
            for op in ["!=", "==", "="] where remaining.starts(with: op.unicodeScalars) {
                let rhs = remaining.dropFirst(op.unicodeScalars.count)
                return (String(scalars[..<index]), op, String(rhs))
            }
            index = scalars.index(after: index)
        }
        return nil
    }

    /// apimachinery's `fields.UnescapeValue`: `\\`, `\,` and `\=` are the only escapes, and an
    /// unescaped `,` or `=` is an error.
    static func unescape(_ value: String, selector: String) throws(SelectorParseError) -> String {
        guard value.unicodeScalars.contains(where: { $0 == "\\" || $0 == "," || $0 == "=" }) else { return value }
        var out = ""
        var inSlash = false
        for c in value.unicodeScalars {
            if inSlash {
                guard c == "\\" || c == "," || c == "=" else {
                    throw SelectorParseError(selector: selector, message: "invalid field selector: invalid escape sequence: \\\(c)")
                }
                out.unicodeScalars.append(c)
                inSlash = false
            } else if c == "\\" {
                inSlash = true
            } else if c == "," || c == "=" {
                // Go formats the rune with %v, i.e. as its number.
                throw SelectorParseError(selector: selector, message: "invalid field selector: unescaped character in value: \(c.value)")
            } else {
                out.unicodeScalars.append(c)
            }
        }
        if inSlash {
            throw SelectorParseError(selector: selector, message: "invalid field selector: invalid escape sequence: \\")
        }
        return out
    }
}

/// Why a field or label selector could not be parsed.
public struct SelectorParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var selector: String
    public var message: String
    public var description: String { message }
}
