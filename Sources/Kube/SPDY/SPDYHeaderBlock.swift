/// A SPDY/3 name/value header block, in the order it was sent.
///
/// Invariants the encoder checks and the decoder guarantees: names are non-empty, lowercase and
/// unique. A field's value holds all its values separated by NUL, exactly as on the wire, so a
/// decoded block encodes back to the same bytes.
public struct SPDYHeaderBlock: Sendable, Hashable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public struct Field: Sendable, Hashable {
        public var name: String
        /// Every value, joined by NUL (0x00).
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        public init(name: String, values: [String]) {
            self.init(name: name, value: values.joined(separator: "\u{0}"))
        }

        /// The value split at each NUL.
        public var values: [String] { value.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init) }
    }

    public var fields: [Field]

    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// `["streamtype": "stdout"]`; a name given twice gets both values.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        for (name, value) in elements { add(name: name, value: value) }
    }

    /// The first value of `name` (matched case-insensitively, as names are lowercase on the wire).
    public subscript(name: String) -> String? { values(name).first }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        let lowered = name.lowercased()
        return fields.first { $0.name == lowered }?.values ?? []
    }

    /// Adds `value` to `name`'s field (lowercased), creating the field if it is new.
    public mutating func add(name: String, value: String) {
        let lowered = name.lowercased()
        if let index = fields.firstIndex(where: { $0.name == lowered }) {
            fields[index].value += "\u{0}" + value
        } else {
            fields.append(Field(name: lowered, value: value))
        }
    }

    public var isEmpty: Bool { fields.isEmpty }

    public var description: String {
        "[" + fields.map { "\($0.name): \($0.values.joined(separator: ", "))" }.joined(separator: "; ") + "]"
    }
}
