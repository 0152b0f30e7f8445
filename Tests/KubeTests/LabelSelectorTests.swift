import Kube
import Testing

struct LabelSelectorTests {
    /// `key op v1,v2`, e.g. `tier in a,b`.
    static func describe(_ selector: LabelSelector) -> [String] {
        selector.requirements.map { "\($0.key) \($0.op) \($0.values.joined(separator: ","))" }
    }

    @Test(arguments: [
        ("app=web", ["app equals web"]),
        ("app==web", ["app equals web"]),
        ("app!=web", ["app notEquals web"]),
        ("app=", ["app equals "]),
        ("tier in (b,a,a)", ["tier in a,b"]),
        ("x in (foo,,baz)", ["x in ,baz,foo"]),
        ("z notin ()", ["z notIn "]),
        ("!gpu", ["gpu doesNotExist "]),
        ("env", ["env exists "]),
        ("a>1,b<10", ["a greaterThan 1", "b lessThan 10"]),
        (" b = 1 ,\ta=2\r\n", ["a equals 2", "b equals 1"]),
        ("example.com/app=x.y_z-1", ["example.com/app equals x.y_z-1"]),
        ("in=notin", ["in equals notin"]),
        ("a in (in,notin)", ["a in in,notin"]),
        ("", []),
        ("  ", []),
        // Go's lexer reads a NUL byte as the end of the input.
        ("a=b \u{0}junk", ["a equals b"]),
    ] as [(String, [String])])
    func parses(_ text: String, _ expected: [String]) throws {
        #expect(Self.describe(try LabelSelector(parsing: text)) == expected)
    }

    @Test(arguments: [
        "a b", "a in", "a in (b c)", "a in b", "a=b,", ",a", "a,,b", "!a=b", "a=b=c", "a===b", "!=a", "a(b)", "a=(b)",
        "a=b/c", "-a=b", "a-=b", "a/b/c=d", "Example.com/a=b", "/a=b", "a/=b", "a>b", "a>-1", "a>", "a!b",
        "a=" + String(repeating: "v", count: 64), String(repeating: "k", count: 64) + "=v", "é=1", "a=é",
    ])
    func rejects(_ text: String) throws {
        let error = try #require(throws: SelectorParseError.self) { try LabelSelector(parsing: text) }
        #expect(error.selector == text)
        #expect(!error.message.isEmpty)
    }

    @Test func errorMessages() throws {
        let comma = try #require(throws: SelectorParseError.self) { try LabelSelector(parsing: "a=b,") }
        #expect(comma.message == "found '', expected: identifier after ','")
        let op = try #require(throws: SelectorParseError.self) { try LabelSelector(parsing: "a b") }
        #expect(op.message == "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")
        let start = try #require(throws: SelectorParseError.self) { try LabelSelector(parsing: ",a") }
        #expect(start.message == "found ',', expected: !, identifier, or 'end of string'")
    }

    @Test(arguments: [
        ("app=web,!gpu", ["app": "web"], true),
        ("app=web,!gpu", ["app": "web", "gpu": ""], false),
        ("app=web", ["app": "db"], false),
        ("app!=web", [:], true),
        ("tier notin (a)", [:], true),
        ("tier notin (a)", ["tier": "a"], false),
        ("tier in (a,b)", ["tier": "b"], true),
        ("tier in (a,b)", [:], false),
        ("env", ["env": ""], true),
        ("a>1", ["a": "2"], true),
        ("a>1", ["a": "1"], false),
        ("a<1", ["a": "-5"], true),
        ("a>1", ["a": "x"], false),
        ("", ["any": "thing"], true),
    ] as [(String, [String: String], Bool)])
    func matches(_ text: String, _ labels: [String: String], _ expected: Bool) throws {
        #expect(try LabelSelector(parsing: text).matches(labels) == expected)
    }
}
