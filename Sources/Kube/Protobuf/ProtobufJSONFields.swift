import Foundation

/// Builds the JSON form of a decoded message the way Go's encoder writes the Kubernetes type:
/// fields tagged `omitempty` are left out when empty or zero, optional (pointer) fields are
/// written when set, and byte fields are base64.
struct ProtobufJSONFields {
    private(set) var members: [String: JSONValue] = [:]

    var object: JSONValue { .object(members) }

    /// A field written whatever its value (no `omitempty` in Go).
    mutating func always(_ key: String, _ value: JSONValue) { members[key] = value }

    mutating func string(_ key: String, _ value: String) {
        if !value.isEmpty { members[key] = .string(value) }
    }

    mutating func int(_ key: String, _ value: some BinaryInteger) {
        if value != 0 { members[key] = .int(Int64(value)) }
    }

    /// A pointer field (`*int32`, `*bool`): written when the message holds it.
    mutating func optional(_ key: String, _ has: Bool, _ value: JSONValue) {
        if has { members[key] = value }
    }

    mutating func bool(_ key: String, _ value: Bool) {
        if value { members[key] = .bool(true) }
    }

    mutating func strings(_ key: String, _ values: [String]) {
        if !values.isEmpty { members[key] = .array(values.map(JSONValue.string)) }
    }

    mutating func map(_ key: String, _ values: [String: String]) {
        if !values.isEmpty { members[key] = .object(values.mapValues(JSONValue.string)) }
    }

    mutating func bytesMap(_ key: String, _ values: [String: Data]) {
        if !values.isEmpty { members[key] = .object(values.mapValues { .string($0.base64EncodedString()) }) }
    }

    mutating func objects(_ key: String, _ values: [JSONValue]) {
        if !values.isEmpty { members[key] = .array(values) }
    }

    /// A nested struct Go writes only when it is set and not empty.
    mutating func nested(_ key: String, _ has: Bool, _ value: JSONValue) {
        guard has else { return }
        if case .object(let inner) = value, inner.isEmpty { return }
        members[key] = value
    }
}
