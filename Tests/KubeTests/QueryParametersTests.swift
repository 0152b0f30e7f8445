import Kube
import Testing

struct QueryParametersTests {
    static func pairs(_ raw: String) -> [String] {
        QueryParameters(raw).pairs.map { "\($0.name)=\($0.value)" }
    }

    @Test(arguments: [
        ("a=1&b=x+y&c=%2B%20&d", ["a=1", "b=x y", "c=+ ", "d="]),
        ("a=%zz&b=2", ["b=2"]),
        ("a=%4&b=%", []),
        ("k%=v&ok=1", ["ok=1"]),
        ("a=1;b=2&c=3", ["c=3"]),
        ("&&a=1&", ["a=1"]),
        ("=v", ["=v"]),
        ("a=b=c", ["a=b=c"]),
        ("name=%C3%A9%e2%82%ac", ["name=é€"]),
        ("fieldSelector=metadata.name%3Dteam-a&limit=500", ["fieldSelector=metadata.name=team-a", "limit=500"]),
        ("", []),
    ])
    func decodesLikeParseQuery(_ raw: String, _ expected: [String]) {
        #expect(Self.pairs(raw) == expected)
    }

    @Test func lookups() {
        let query = QueryParameters("command=sh&command=-c&command=echo+hi&tty=true")
        #expect(query["command"] == "sh")
        #expect(query.values("command") == ["sh", "-c", "echo hi"])
        #expect(query.contains("tty"))
        #expect(!query.contains("stdin"))
        #expect(query["stdin"] == nil)
        #expect(query == QueryParameters(pairs: [("command", "sh"), ("command", "-c"), ("command", "echo hi"), ("tty", "true")]))
        #expect(query != QueryParameters(pairs: [("command", "sh")]))
    }

    @Test func percentCoding() {
        #expect(PercentDecoding.decode("a%2Fb+c", plusAsSpace: false) == "a/b+c")
        #expect(PercentDecoding.decode("a%2Fb+c", plusAsSpace: true) == "a/b c")
        #expect(PercentDecoding.decode("%G0", plusAsSpace: false) == nil)
        #expect(PercentDecoding.encodeQueryComponent("a b/é~-_.") == "a%20b%2F%C3%A9~-_.")
    }

    @Test(arguments: [
        ("/api/v1/pods?limit=500", "/api/v1/pods", "/api/v1/pods", "limit=500"),
        ("/api/v1/namespaces/a%2Fb/pods", "/api/v1/namespaces/a/b/pods", "/api/v1/namespaces/a%2Fb/pods", ""),
        ("https://10.0.0.1:6443/api/v1/pods?watch=1", "/api/v1/pods", "/api/v1/pods", "watch=1"),
        ("https://host:6443?x=1", "", "", "x=1"),
        ("HTTP://host/p", "/p", "/p", ""),
        ("/p?q=1#f", "/p", "/p", "q=1#f"),
        ("/p#f?q", "/p#f", "/p#f", "q"),
        ("/p?next=https://other/x", "/p", "/p", "next=https://other/x"),
        ("//host/p", "//host/p", "//host/p", ""),
        ("/bad%zz/p", "/bad%zz/p", "/bad%zz/p", ""),
    ])
    func requestTargets(_ target: String, _ path: String, _ rawPath: String, _ rawQuery: String) {
        let parsed = RequestTarget(target)
        #expect(parsed.path == path)
        #expect(parsed.rawPath == rawPath)
        #expect(parsed.rawQuery == rawQuery)
    }
}
