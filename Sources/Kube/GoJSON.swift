/// JSON text written the way Go's `encoding/json` writes it, so bytes match kube-apiserver's:
/// `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`; U+2028 and U+2029 escaped; map keys sorted;
/// whole floats without a fraction.
public enum GoJSON {
    /// Appends `text` as a quoted JSON string. Works on the UTF-8 bytes: runs that need no escape
    /// are copied whole (a Swift string is valid UTF-8, so its bytes are the JSON's).
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var run = 0   // where the bytes not yet copied begin
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                let width = escapeWidth(bytes, at: index)
                guard width > 0 else {
                    index += 1
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                appendEscape(byte, width: width, bytes, at: index, to: &out)
                index += width
                run = index
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// How many bytes at `index` are replaced by an escape; 0 when the byte is copied as it is.
    private static func escapeWidth(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        switch bytes[index] {
        case 0..<0x20, UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
            return 1
        case 0xE2:   // U+2028 and U+2029 are E2 80 A8 and E2 80 A9
            guard index + 2 < bytes.count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 else { return 0 }
            return 3
        default:
            return 0
        }
    }

    private static func appendEscape(_ byte: UInt8, width: Int, _ bytes: UnsafeBufferPointer<UInt8>, at index: Int, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
        case UInt8(ascii: "\n"): out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case UInt8(ascii: "\r"): out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case UInt8(ascii: "\t"): out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        case 0xE2 where width == 3: appendUnicodeEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, to: &out)
        default: appendUnicodeEscape(UInt32(byte), to: &out)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendUnicodeEscape(_ value: UInt32, to out: inout [UInt8]) {
        out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }

    public static func appendInt(_ value: Int64, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// Go's float64 encoding: the shortest digits that round-trip, in plain decimal notation
    /// unless the magnitude is below 1e-6 or at least 1e21 (`1e-7`, `1e+21`). Non-finite values,
    /// which Go refuses to encode, are written as `null`.
    public static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(contentsOf: goFloatText(value).utf8)
    }

    static func goFloatText(_ value: Double) -> String {
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0" }
        // Swift's description is also the shortest round-tripping form; only its layout differs.
        let text = "\(value.magnitude)"
        let (mantissa, exponent): (Substring, Int) = {
            guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return (Substring(text), 0) }
            return (text[..<e], Int(text[text.index(after: e)...]) ?? 0)
        }()
        let dot = mantissa.firstIndex(of: ".")
        var digits = Array(mantissa.filter { $0 != "." })
        // The value is 0.DIGITS × 10^point.
        var point = (dot.map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count) + exponent
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        let magnitude = value.magnitude
        if magnitude < 1e-6 || magnitude >= 1e21 {
            let e = point - 1
            let head = String(digits[0]) + (digits.count > 1 ? "." + String(digits[1...]) : "")
            let expText = e < 0 ? "-" + String(-e) : "+" + (e < 10 ? "0" : "") + String(e)
            return sign + head + "e" + expText
        }
        let d = String(digits)
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + d }
        if point >= digits.count { return sign + d + String(repeating: "0", count: point - digits.count) }
        return sign + String(digits[..<point]) + "." + String(digits[point...])
    }

    /// Go sorts map keys by their bytes; Swift's `<` on String orders by canonical equivalence.
    static func keyOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    public static func append(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): appendInt(i, to: &out)
        case .double(let d): appendDouble(d, to: &out)
        case .string(let s): appendString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, key) in members.keys.sorted(by: keyOrder).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(members[key] ?? .null, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// Writes a JSON object whose members appear in the order they are added, as a Go struct's
/// fields do. Used where byte-compatibility with kube-apiserver matters (Status, audit Event).
public struct GoJSONObjectWriter {
    public private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var isEmpty = true

    public init() {}

    private mutating func key(_ name: String) {
        if !isEmpty { bytes.append(UInt8(ascii: ",")) }
        isEmpty = false
        GoJSON.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ name: String, _ value: String) {
        key(name)
        GoJSON.appendString(value, to: &bytes)
    }

    /// Adds the member unless `value` is nil or empty, like Go's `omitempty`.
    public mutating func stringOmitEmpty(_ name: String, _ value: String?) {
        guard let value, !value.isEmpty else { return }
        string(name, value)
    }

    public mutating func int(_ name: String, _ value: Int64) {
        key(name)
        GoJSON.appendInt(value, to: &bytes)
    }

    public mutating func intOmitEmpty(_ name: String, _ value: Int64?) {
        guard let value, value != 0 else { return }
        int(name, value)
    }

    public mutating func bool(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func value(_ name: String, _ value: JSONValue) {
        key(name)
        GoJSON.append(value, to: &bytes)
    }

    public mutating func stringArray(_ name: String, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            GoJSON.appendString(v, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Adds a member whose value is already-encoded JSON.
    public mutating func raw(_ name: String, _ encoded: [UInt8]) {
        key(name)
        bytes.append(contentsOf: encoded)
    }

    public mutating func object(_ name: String, _ build: (inout GoJSONObjectWriter) -> Void) {
        var nested = GoJSONObjectWriter()
        build(&nested)
        raw(name, nested.finish())
    }

    public mutating func objectArray<T>(_ name: String, _ items: [T], _ build: (T, inout GoJSONObjectWriter) -> Void) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            var nested = GoJSONObjectWriter()
            build(item, &nested)
            bytes.append(contentsOf: nested.finish())
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public func finish() -> [UInt8] {
        bytes + [UInt8(ascii: "}")]
    }
}

extension JSONValue {
    /// The value as Go would encode it (sorted keys, Go's escaping), without a trailing newline.
    public func jsonBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        GoJSON.append(self, to: &out)
        return out
    }

    public var jsonString: String { String(decoding: jsonBytes(), as: UTF8.self) }
}
