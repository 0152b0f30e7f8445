import FuzzSupport

/// Builds, from the fuzzer's choices, a JSON body that holds Secrets: nested in Lists, SecretLists,
/// Tables, watch events or plain objects and arrays; members in any order; every string written
/// with any mix of raw UTF-8 and escapes (`\uXXXX`, surrogate pairs, `\n`, `\/`); values from
/// ASCII, control characters, Latin, CJK, emoji and U+2028; kubectl's last-applied copy of the
/// Secret as an annotation; several documents in a row (a watch stream).
///
/// Every `data` and `stringData` value starts with a marker (`VAL<n>Z`, ASCII, never escaped) that
/// nothing else in the body contains, so a leak of any part of a value that includes its marker is
/// visible in the stored bytes.
struct SecretJSONBuilder {
    var input: FuzzInput
    /// Each value as decoded UTF-8, and as written in the body (escaped).
    private(set) var values: [(decoded: [UInt8], written: [UInt8])] = []
    private(set) var markers: [[UInt8]] = []

    static let palette: [Unicode.Scalar] = ["a", "Z", "0", "=", "/", "+", "\"", "\\", " ", "\n", "\u{0}", "\u{1F}", "\u{7F}", "é",
                                            "ß", "中", "\u{2028}", "\u{FFFD}", "😀", "<", "&", "S", "e", "c", "r", "t"]
    static let dataKeys = ["password", "token", "a", "tls.crt", ".dockerconfigjson", "key-1"]
    static let names = ["db", "api-credentials", "x", "default-token"]

    init(_ input: FuzzInput) { self.input = input }

    /// A JSON string for `text`, each character raw or escaped as the input chooses.
    mutating func string(_ text: String, escapeFreely: Bool = true) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for scalar in text.unicodeScalars {
            let mustEscape = scalar == "\"" || scalar == "\\" || scalar.value < 0x20
            let choice = escapeFreely ? input.below(4) : 0
            if !mustEscape, choice != 1 {
                out += Array(String(Character(scalar)).utf8)
            } else if mustEscape, choice == 2, let short = Self.shortEscape(scalar) {
                out += Array(short.utf8)
            } else if scalar.value > 0xFFFF {
                let v = scalar.value - 0x10000
                out += Self.unicodeEscape(0xD800 + (v >> 10)) + Self.unicodeEscape(0xDC00 + (v & 0x3FF))
            } else {
                out += Self.unicodeEscape(scalar.value)
            }
            if scalar == "/", choice == 3 { out.removeLast(); out += Array("\\/".utf8) }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    static func shortEscape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\r": return "\\r"
        default: return nil
        }
    }

    static func unicodeEscape(_ value: UInt32) -> [UInt8] {
        let hex = String(value, radix: 16)
        let upper = value & 1 == 0
        return Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + (upper ? hex.uppercased() : hex)).utf8)
    }

    /// A secret value: its marker, then up to 12 characters of the palette.
    mutating func secretValue(into body: inout [UInt8]) {
        let marker = "VAL\(values.count)Z"
        var text = ""
        for _ in 0..<input.below(13) { text.unicodeScalars.append(Self.palette[input.below(Self.palette.count)]) }
        var written: [UInt8] = [UInt8(ascii: "\"")] + Array(marker.utf8)
        written += string(text).dropFirst()
        markers.append(Array(marker.utf8))
        values.append((decoded: Array((marker + text).utf8), written: written))
        body += written
    }

    mutating func object(_ members: [(String, (inout SecretJSONBuilder, inout [UInt8]) -> Void)]) -> [UInt8] {
        var order = Array(members.indices)
        for index in order.indices.reversed() { order.swapAt(index, input.below(index + 1)) }
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (position, index) in order.enumerated() {
            if position > 0 { out += Array(",".utf8) }
            out += whitespace() + string(members[index].0) + whitespace() + Array(":".utf8) + whitespace()
            members[index].1(&self, &out)
        }
        return out + [UInt8(ascii: "}")]
    }

    mutating func whitespace() -> [UInt8] {
        [[], [], [0x20], [0x0A, 0x20, 0x20], [0x09], [0x0D, 0x0A]][input.below(6)]
    }

    /// A map of 1 to 3 secret values.
    mutating func valueMap() -> [UInt8] {
        var members: [(String, (inout SecretJSONBuilder, inout [UInt8]) -> Void)] = []
        for index in 0..<(1 + input.below(3)) {
            members.append(("\(Self.dataKeys[input.below(Self.dataKeys.count)])\(index)", { builder, out in builder.secretValue(into: &out) }))
        }
        return object(members)
    }

    /// A Secret object; `withKind` false for a SecretList's items; `embedded` for the copy in the
    /// last-applied annotation (which has no annotation of its own).
    mutating func secret(withKind: Bool, embedded: Bool = false) -> [UInt8] {
        var members: [(String, (inout SecretJSONBuilder, inout [UInt8]) -> Void)] = []
        if withKind {
            members.append(("kind", { b, out in out += b.string("Secret") }))
            members.append(("apiVersion", { b, out in out += b.string("v1") }))
        }
        let name = Self.names[input.below(Self.names.count)]
        let lastApplied = !embedded && input.below(4) == 0
        members.append(("metadata", { b, out in
            var meta: [(String, (inout SecretJSONBuilder, inout [UInt8]) -> Void)] = [("name", { b, o in o += b.string(name) })]
            if lastApplied {
                meta.append(("annotations", { b, o in
                    o += b.object([("kubectl.kubernetes.io/last-applied-configuration", { b, o2 in
                        let copy = String(decoding: b.secret(withKind: true, embedded: true), as: UTF8.self)
                        o2 += b.string(copy)
                    })])
                }))
            }
            out += b.object(meta)
        }))
        if input.bool() { members.append(("type", { b, out in out += b.string("Opaque") })) }
        let fields = input.below(3)
        if fields != 1 { members.append(("data", { b, out in out += b.valueMap() })) }
        if fields != 0 { members.append(("stringData", { b, out in out += b.valueMap() })) }
        return object(members)
    }

    /// Secrets wrapped in the input's choice of containers, `depth` levels at most.
    mutating func document(depth: Int) -> [UInt8] {
        guard depth > 0 else { return secret(withKind: true) }
        switch input.below(8) {
        case 0: return secret(withKind: true)
        case 1: return object([("kind", { b, o in o += b.string("List") }),
                               ("items", { b, o in o += b.array { b in b.document(depth: depth - 1) } })])
        case 2: return object([("kind", { b, o in o += b.string("SecretList") }),
                               ("items", { b, o in o += b.array { b in b.secret(withKind: false) } })])
        case 3: return object([("kind", { b, o in o += b.string("Table") }),
                               ("rows", { b, o in o += b.array { b in b.object([("object", { b, o2 in o2 += b.document(depth: depth - 1) })]) } })])
        case 4: return object([("type", { b, o in o += b.string("ADDED") }), ("object", { b, o in o += b.document(depth: depth - 1) })])
        case 5: return array { b in b.document(depth: depth - 1) }
        case 6: return object([("wrapper", { b, o in o += b.document(depth: depth - 1) })])
        default: return secret(withKind: true)
        }
    }

    mutating func array(_ element: (inout SecretJSONBuilder) -> [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for index in 0..<(1 + input.below(3)) {
            if index > 0 { out += Array(",".utf8) + whitespace() }
            out += element(&self)
        }
        return out + [UInt8(ascii: "]")]
    }
}
