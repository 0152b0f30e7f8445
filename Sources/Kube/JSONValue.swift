/// A JSON document as Kubernetes objects carry it: untyped, like apimachinery's Unstructured.
///
/// Integers and floating-point numbers are kept apart so that an object read and written back keeps
/// `"replicas":3` as `3`, not `3.0`. Object keys are unordered; ``JSONValue/jsonBytes()`` writes them
/// sorted, which is what Go's encoder does for `map[string]interface{}`.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The member `key` of an object; `nil` for a missing key or a non-object. Setting on a
    /// non-object turns it into an object; setting `nil` removes the key.
    public subscript(key: String) -> JSONValue? {
        get {
            if case .object(let o) = self { return o[key] }
            return nil
        }
        set {
            var o = objectValue ?? [:]
            o[key] = newValue
            self = .object(o)
        }
    }

    /// The value at a path of object keys, e.g. `object[path: "metadata", "name"]`.
    public subscript(path keys: String...) -> JSONValue? {
        get { value(at: keys[...]) }
        set { setValue(newValue, at: keys[...]) }
    }

    private func value(at keys: ArraySlice<String>) -> JSONValue? {
        guard let first = keys.first else { return self }
        return self[first]?.value(at: keys.dropFirst())
    }

    private mutating func setValue(_ newValue: JSONValue?, at keys: ArraySlice<String>) {
        guard let first = keys.first else {
            self = newValue ?? .null
            return
        }
        if keys.count == 1 {
            self[first] = newValue
            return
        }
        var child = self[first] ?? .object([:])
        child.setValue(newValue, at: keys.dropFirst())
        self[first] = child
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
