import Kube
import Testing

struct JSONTests {
    @Test func parsesADocument() throws {
        let doc = try JSONParser.parse(" {\"a\":[1,-2.5,true,false,null,\"x\"],\"b\":{},\"c\":[]}\r\n\t")
        #expect(doc == ["a": [1, -2.5, true, false, nil, "x"], "b": [:], "c": []])
        #expect(doc[path: "a"]?.arrayValue?.count == 6)
    }

    @Test(arguments: [
        ("0", JSONValue.int(0)), ("-0", .int(0)), ("42", .int(42)), ("-7", .int(-7)),
        ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .double(9_223_372_036_854_775_808)), ("1e2", .double(100)), ("1.5E-3", .double(0.0015)),
        ("3.0", .double(3)), ("-0.5", .double(-0.5)),
    ])
    func numbers(_ text: String, _ value: JSONValue) throws {
        #expect(try JSONParser.parse(text) == value)
    }

    @Test(arguments: [
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
        (#""\u0041\u00e9\u4e2d""#, "Aé中"),
        (#""\ud83d\ude00""#, "😀"),
        (#""\uD83D\uDE00!""#, "😀!"),
        (#""\ud800x""#, "\u{FFFD}x"),
        (#""\udc00""#, "\u{FFFD}"),
        (#""\ud800\u0041""#, "\u{FFFD}A"),
        ("\"é😀\"", "é😀"),
    ] as [(String, String)])
    func stringEscapes(_ text: String, _ value: String) throws {
        #expect(try JSONParser.parse(text) == .string(value))
    }

    @Test(arguments: [
        ("", 0, "unexpected end of JSON input"),
        ("[1,]", 3, "invalid character ']' looking for beginning of value"),
        ("{\"a\" 1}", 5, "expected ':' after object key"),
        ("{\"a\":1,}", 7, "expected a string for an object key"),
        ("{", 1, "unexpected end of JSON input"),
        ("[1 2]", 3, "expected ',' or ']' after array element"),
        ("{\"a\":1 \"b\":2}", 7, "expected ',' or '}' after object value"),
        ("01", 1, "invalid character after top-level value"),
        ("{} {}", 3, "invalid character after top-level value"),
        ("\"abc", 4, "unexpected end of JSON input in string"),
        ("\"a\u{01}\"", 2, "invalid control character in string"),
        (#""\x""#, 3, "invalid escape character in string"),
        (#""\u12G4""#, 5, #"invalid character in \u escape"#),
        ("tru", 0, "unexpected end of JSON input"),
        ("nul1", 0, "invalid character looking for literal null"),
        ("1.", 2, "expected a digit after the decimal point"),
        ("1e+", 3, "expected a digit in the exponent"),
        ("-", 1, "invalid character in numeric literal"),
        ("+1", 0, "invalid character '+' looking for beginning of value"),
        ("1e400", 5, "number out of range"),
    ])
    func errorsCarryTheOffset(_ text: String, _ offset: Int, _ message: String) throws {
        let error = try #require(throws: JSONParseError.self) { try JSONParser.parse(text) }
        #expect(error.offset == offset)
        #expect(error.message == message)
        #expect(error.description == "\(message) (at byte \(offset))")
    }

    @Test func rejectsInvalidUTF8InStrings() throws {
        let error = try #require(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x61, 0xFF, 0x22]) }
        #expect(error.offset == 4)
        #expect(error.message == "invalid UTF-8 in string")
    }

    @Test func depthLimit() throws {
        let depth = JSONParser.maximumDepth
        let deepest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try JSONParser.parse(deepest)
        for _ in 1..<depth { value = try #require(value.arrayValue?.first) }
        #expect(value == [])
        let error = try #require(throws: JSONParseError.self) {
            try JSONParser.parse(String(repeating: "{\"a\":", count: depth) + "[1]" + String(repeating: "}", count: depth))
        }
        #expect(error.message == "exceeded max depth of 512")
        #expect(error.offset == depth * 5)
    }

    @Test func writesSortedKeys() {
        let object: JSONValue = ["b": 1, "a": ["z": true, "y": nil], "B": "x", "_": [], "é": 2]
        #expect(object.jsonString == #"{"B":"x","_":[],"a":{"y":null,"z":true},"b":1,"é":2}"#)
        // Byte order, as Go sorts: a decomposed "e\u{301}" (0x65...) sorts before a precomposed "é" (0xC3...).
        let decomposed: JSONValue = ["\u{E9}a": 1, "e\u{301}x": 2]
        #expect(decomposed.jsonBytes() == Array("{\"e\u{301}x\":2,\"\u{E9}a\":1}".utf8))
    }

    @Test func writesGoEscapes() {
        let text = "<a href=\"x\">&</a>\u{2028}\u{2029}\\\n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{7F}é😀/"
        #expect(JSONValue.string(text).jsonString ==
            #""\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e\u2028\u2029\\\n\r\t\b\f\u0001\u001f"# + "\u{7F}é😀/\"")
    }

    @Test(arguments: [
        (3.0, "3"), (-0.0, "-0"), (0.0, "0"), (1.5, "1.5"), (0.1, "0.1"), (-2.25, "-2.25"), (123456.789, "123456.789"),
        (1e16, "10000000000000000"), (1e20, "100000000000000000000"), (1.2345678901234568e20, "123456789012345680000"),
        (9.3e18, "9300000000000000000"), (1e21, "1e+21"), (1.5e300, "1.5e+300"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        (0.000001, "0.000001"), (0.00001, "0.00001"), (0.0001234, "0.0001234"), (1e-7, "1e-7"), (-2.5e-8, "-2.5e-8"),
        (1.234e-10, "1.234e-10"), (.leastNonzeroMagnitude, "5e-324"), (.infinity, "null"), (-.infinity, "null"), (.nan, "null"),
    ])
    func writesDoublesAsGoDoes(_ value: Double, _ text: String) {
        #expect(JSONValue.double(value).jsonString == text)
    }

    @Test func integersAndRoundTrip() throws {
        #expect(JSONValue.int(.min).jsonString == "-9223372036854775808")
        #expect(try JSONParser.parse(#"{"replicas":3,"ratio":1.0,"big":1e20,"s":"<\u00e9>"}"#).jsonString ==
            #"{"big":100000000000000000000,"ratio":1,"replicas":3,"s":"\u003cé\u003e"}"#)
    }

    @Test func objectWriterKeepsFieldOrderAndOmitsEmpty() {
        var w = GoJSONObjectWriter()
        w.string("z", "")
        w.stringOmitEmpty("skipped", "")
        w.stringOmitEmpty("nilSkipped", nil)
        w.stringOmitEmpty("kept", "k")
        w.int("n", 0)
        w.intOmitEmpty("zero", 0)
        w.intOmitEmpty("none", nil)
        w.intOmitEmpty("seven", 7)
        w.bool("b", false)
        w.stringArray("list", ["a", "<"])
        w.stringArray("empty", [])
        w.raw("raw", Array("{}".utf8))
        w.value("v", ["y": 1, "x": 2])
        w.object("o") { $0.string("k", "v") }
        w.objectArray("items", [1, 2]) { item, o in o.int("i", Int64(item)) }
        #expect(String(decoding: w.finish(), as: UTF8.self) ==
            #"{"z":"","kept":"k","n":0,"seven":7,"b":false,"list":["a","\u003c"],"empty":[],"raw":{},"v":{"x":2,"y":1},"o":{"k":"v"},"items":[{"i":1},{"i":2}]}"#)
        #expect(String(decoding: GoJSONObjectWriter().finish(), as: UTF8.self) == "{}")
    }

    @Test func accessors() {
        var value: JSONValue = ["metadata": ["name": "a"], "n": 2.0, "f": 2.5, "t": true]
        #expect(value[path: "metadata", "name"]?.stringValue == "a")
        #expect(value["n"]?.intValue == 2)
        #expect(value["f"]?.intValue == nil)
        #expect(value["t"]?.boolValue == true)
        #expect(value["missing"] == nil)
        value[path: "metadata", "labels", "app"] = "web"
        value["t"] = nil
        #expect(value == ["metadata": ["name": "a", "labels": ["app": "web"]], "n": 2.0, "f": 2.5])
    }
}
