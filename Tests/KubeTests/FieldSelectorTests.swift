import Kube
import Testing

struct FieldSelectorTests {
    static func terms(_ selector: FieldSelector) -> [String] {
        selector.terms.map { "\($0.field)\($0.negated ? "!=" : "=")\($0.value)" }
    }

    @Test(arguments: [
        ("metadata.name=a", ["metadata.name=a"]),
        ("metadata.namespace!=b,metadata.name==a", ["metadata.name=a", "metadata.namespace!=b"]),
        (#"spec.x=a\,b\=c\\d"#, [#"spec.x=a,b=c\d"#]),
        ("a=", ["a="]),
        ("=v", ["=v"]),
        ("", []),
        (",,", []),
        ("b=1,,a=2", ["a=2", "b=1"]),
    ])
    func parses(_ text: String, _ expected: [String]) throws {
        #expect(Self.terms(try FieldSelector(parsing: text)) == expected)
    }

    @Test(arguments: [
        ("foo", "invalid selector: 'foo'; can't understand 'foo'"),
        ("a=1,foo", "invalid selector: 'a=1,foo'; can't understand 'foo'"),
        (#"a=b\"#, #"invalid field selector: invalid escape sequence: \"#),
        (#"a=\!"#, #"invalid field selector: invalid escape sequence: \!"#),
        (#"a=\n"#, #"invalid field selector: invalid escape sequence: \n"#),
        ("a===b", "invalid field selector: unescaped character in value: 61"),
        ("a=b=c", "invalid field selector: unescaped character in value: 61"),
        ("x!==y", "invalid field selector: unescaped character in value: 61"),
    ])
    func rejects(_ text: String, _ message: String) throws {
        let error = try #require(throws: SelectorParseError.self) { try FieldSelector(parsing: text) }
        #expect(error.message == message)
        #expect(error.selector == text)
    }

    @Test func requiresExactMatch() throws {
        #expect(try FieldSelector(parsing: "metadata.name==x,spec.nodeName=n").requiresExactMatch("metadata.name") == "x")
        #expect(try FieldSelector(parsing: "metadata.name!=x").requiresExactMatch("metadata.name") == nil)
        #expect(try FieldSelector(parsing: "metadata.name=b,metadata.name=a").requiresExactMatch("metadata.name") == "a")
        #expect(try FieldSelector(parsing: "").requiresExactMatch("metadata.name") == nil)
    }

    @Test func matches() throws {
        let fields = ["metadata.name": "web-1", "status.phase": "Running"]
        #expect(try FieldSelector(parsing: "metadata.name=web-1,status.phase!=Failed").matches { fields[$0] })
        #expect(try !FieldSelector(parsing: "status.phase=Pending").matches { fields[$0] })
        #expect(try FieldSelector(parsing: "").matches { fields[$0] })
        #expect(try !FieldSelector(parsing: "spec.nodeName=n1").matches { fields[$0] })
    }
}
