import Kube
import Testing

/// `GoJSON.appendString` works on UTF-8 bytes; it must write exactly what Go's encoder (and the
/// per-scalar reference below, the implementation it replaced) writes, for every kind of text.
struct GoJSONStringTests {
    /// The earlier implementation, scalar by scalar: the reference.
    static func reference(_ text: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += [0x5C, 0x22]
            case "\\": out += [0x5C, 0x5C]
            case "\n": out += [0x5C, UInt8(ascii: "n")]
            case "\r": out += [0x5C, UInt8(ascii: "r")]
            case "\t": out += [0x5C, UInt8(ascii: "t")]
            case "\u{08}": out += [0x5C, UInt8(ascii: "b")]
            case "\u{0C}": out += [0x5C, UInt8(ascii: "f")]
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += Array(String(format4: scalar.value).utf8)
            default:
                out += scalar.value < 0x20 ? Array(String(format4: scalar.value).utf8) : Array(String(Character(scalar)).utf8)
            }
        }
        return out + [UInt8(ascii: "\"")]
    }

    static func written(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        GoJSON.appendString(text, to: &out)
        return out
    }

    @Test(arguments: ["", "plain", "a\"b\\c", "<script>&amp;</script>", "line\nbreak\r\ttab\u{08}\u{0C}", "\u{00}\u{01}\u{1F}\u{7F}",
                      "\u{2028}\u{2029}", "x\u{2028}", "\u{2027}\u{202A}\u{20AC}", "é日本語🙂", "\u{E2}", "ends with é"])
    func matchesTheReference(_ text: String) {
        #expect(Self.written(text) == Self.reference(text), "\(text.debugDescription)")
    }

    @Test func matchesTheReferenceOnRandomText() {
        var generator = SystemRandomNumberGenerator()
        let pool: [Unicode.Scalar] = ["a", "\"", "\\", "<", ">", "&", "\n", "\u{00}", "\u{1F}", "\u{7F}", "\u{80}", "é", "\u{2028}",
                                      "\u{2029}", "\u{2000}", "\u{E2}", "日", "🙂", " "]
        for _ in 0..<2_000 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...24, using: &generator) { text.append(pool.randomElement(using: &generator) ?? "a") }
            let string = String(text)
            #expect(Self.written(string) == Self.reference(string), "\(string.debugDescription)")
        }
    }
}

private extension String {
    /// `\uXXXX` in lowercase hex.
    init(format4 value: UInt32) {
        let hex = String(value, radix: 16)
        self = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
