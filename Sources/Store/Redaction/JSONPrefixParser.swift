import Kube

/// Parses a body as a sequence of JSON values (one document, or newline-delimited events) and,
/// unlike a strict parser, keeps what it could read when the bytes end early (a body cut at the
/// recording limit) or stop being JSON.
///
/// A cut value comes back with the members and elements read so far, a cut string with its
/// characters so far; a member whose key or value did not start is left out. So a redactor can
/// still see every string that was in the bytes it was given.
struct JSONPrefixParser {
    enum Ending: Sendable, Hashable {
        /// Every byte was part of a complete value or whitespace between values.
        case complete
        /// The bytes ended inside a value.
        case cut
        /// Something that is not JSON, at this byte offset; nothing after it was read.
        case invalid(offset: Int)
    }

    struct Parsed {
        var values: [JSONValue]
        var ending: Ending
    }

    private enum Stop { case end, invalid }

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    private var stop: Stop?

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) -> Parsed {
        var parser = JSONPrefixParser(bytes)
        var values: [JSONValue] = []
        while true {
            parser.skipWhitespace()
            guard parser.index < bytes.count else { return Parsed(values: values, ending: .complete) }
            if let value = parser.parseValue() { values.append(value) }
            switch parser.stop {
            case nil: continue
            case .end: return Parsed(values: values, ending: .cut)
            case .invalid: return Parsed(values: values, ending: .invalid(offset: parser.index))
            }
        }
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 }
    }

    private mutating func parseValue() -> JSONValue? {
        skipWhitespace()
        guard let c = current else {
            stop = .end
            return nil
        }
        switch c {
        case UInt8(ascii: "{"): return nested { $0.parseObject() }
        case UInt8(ascii: "["): return nested { $0.parseArray() }
        case UInt8(ascii: "\""): return parseString().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return parseNumber()
        default:
            stop = .invalid
            return nil
        }
    }

    private mutating func nested(_ body: (inout JSONPrefixParser) -> JSONValue) -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JSONParser.maximumDepth else {
            stop = .invalid
            return nil
        }
        return body(&self)
    }

    private mutating func literal(_ text: String, _ value: JSONValue) -> JSONValue? {
        for expected in text.utf8 {
            guard let c = current else {
                stop = .end
                return nil
            }
            guard c == expected else {
                stop = .invalid
                return nil
            }
            index += 1
        }
        return value
    }

    /// Expects `byte` after whitespace; sets `stop` when it is not there.
    private mutating func expect(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard let c = current else {
            stop = .end
            return false
        }
        guard c == byte else {
            stop = .invalid
            return false
        }
        index += 1
        return true
    }

    private mutating func parseObject() -> JSONValue {
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            guard expect(UInt8(ascii: "\"")) else { return .object(members) }
            index -= 1
            guard let key = parseString(), stop == nil else { return .object(members) }
            guard expect(UInt8(ascii: ":")) else { return .object(members) }
            if let value = parseValue() { members[key] = value }
            if stop != nil { return .object(members) }
            skipWhitespace()
            guard let c = current else {
                stop = .end
                return .object(members)
            }
            index += 1
            switch c {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return .object(members)
            default:
                index -= 1
                stop = .invalid
                return .object(members)
            }
        }
    }

    private mutating func parseArray() -> JSONValue {
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            if let value = parseValue() { elements.append(value) }
            if stop != nil { return .array(elements) }
            skipWhitespace()
            guard let c = current else {
                stop = .end
                return .array(elements)
            }
            index += 1
            switch c {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return .array(elements)
            default:
                index -= 1
                stop = .invalid
                return .array(elements)
            }
        }
    }

    /// The string at `index` (which is a quote); at the end of the bytes, the characters so far.
    private mutating func parseString() -> String? {
        index += 1
        var decoded: [UInt8] = []
        while true {
            guard let c = current else {
                stop = .end
                return String(decoding: decoded, as: UTF8.self)
            }
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard appendEscape(to: &decoded) else { return String(decoding: decoded, as: UTF8.self) }
            default:
                decoded.append(c)
            }
        }
    }

    private mutating func appendEscape(to out: inout [UInt8]) -> Bool {
        guard let c = current else {
            stop = .end
            return false
        }
        index += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            guard var code = hex4() else { return false }
            if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
               bytes[index + 1] == UInt8(ascii: "u") {
                let save = index
                index += 2
                if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    if stop != nil { return false }
                    index = save
                }
            }
            out.append(contentsOf: String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8)
        default:
            stop = .invalid
            return false
        }
        return true
    }

    private mutating func hex4() -> UInt32? {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let c = current else {
                stop = .end
                return nil
            }
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default:
                stop = .invalid
                return nil
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseNumber() -> JSONValue? {
        let start = index
        while let c = current, c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
            || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
            index += 1
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if let i = Int64(text) { return .int(i) }
        if let d = Double(text), d.isFinite { return .double(d) }
        if current == nil {
            stop = .end
        } else {
            stop = .invalid
        }
        return nil
    }
}
