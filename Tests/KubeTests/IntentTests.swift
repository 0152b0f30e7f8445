import Kube
import Testing

struct IntentTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let method: String
        let target: String
        let objectName: String?
        let expected: String
        var testDescription: String { "\(method) \(target)" }

        init(_ method: String, _ target: String, objectName: String? = nil, _ expected: String) {
            self.method = method
            self.target = target
            self.objectName = objectName
            self.expected = expected
        }
    }

    static let cases: [Case] = [
        Case("DELETE", "/api/v1/namespaces/prod", "delete namespace prod"),
        Case("GET", "/api/v1/namespaces/demo/pods?limit=500", "list pods in demo"),
        Case("GET", "/api/v1/pods?limit=500", "list pods in all namespaces"),
        Case("GET", "/api/v1/namespaces?limit=500", "list namespaces"),
        Case("GET", "/api/v1/nodes", "list nodes"),
        Case("GET", "/api/v1/namespaces?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dteam-a&resourceVersion=7&watch=true",
             "watch namespace team-a"),
        Case("GET", "/api/v1/namespaces/demo/pods?watch=true&labelSelector=app%3Dweb&fieldSelector=status.phase%3DRunning",
             "watch pods in demo with labels app=web and fields status.phase=Running"),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/exec?command=sh&command=-c&command=echo%20hi&container=main&stdout=true",
             "exec into pod web-1 in demo: sh -c 'echo hi'"),
        Case("POST", "/api/v1/namespaces/demo/pods/web-1/exec?command=sh&command=-c&command=it%27s&stdin=true",
             "exec into pod web-1 in demo: sh -c 'it'\\''s'"),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/attach?container=main&stdin=true&stdout=true",
             "attach to pod web-1 in demo"),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/log?container=main&follow=true",
             "follow logs of pod web-1 in demo (container main)"),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/log", "read logs of pod web-1 in demo"),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/portforward?ports=8080&ports=9090",
             "port-forward to pod web-1 in demo: 8080,9090"),
        Case("GET", "/api/v1/namespaces/x/services/s/proxy/a/b", "proxy to service s in x: /a/b"),
        Case("GET", "/api/v1/proxy/namespaces/x/pods/p/healthz", "proxy to pod p in x: /healthz"),
        Case("POST", "/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create", objectName: "cfg1",
             "create configmap cfg1 in demo"),
        Case("POST", "/api/v1/namespaces/demo/configmaps", "create configmap in demo"),
        Case("DELETE", "/api/v1/namespaces/demo/pods?labelSelector=app%3Dweb", "delete all pods in demo with labels app=web"),
        Case("DELETE", "/apis/apps/v1/deployments", "delete all deployments in all namespaces"),
        Case("POST", "/api/v1/namespaces/demo/configmaps?dryRun=All", objectName: "cfg1",
             "create configmap cfg1 in demo (dry run)"),
        Case("GET", "/version?timeout=5s", "get /version"),
        Case("PUT", "/apis/apps/v1/namespaces/x/deployments/d/scale", "update scale of deployment d in x"),
        Case("PATCH", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", "patch clusterrole admin"),
        Case("OPTIONS", "/api/v1/namespaces/demo/pods/web-1", "request pod web-1 in demo"),
        Case("PUT", "/api/v1/namespaces/demo/finalize", "update finalize of namespace demo"),
    ]

    @Test(arguments: cases)
    func describes(_ c: Case) throws {
        let target = RequestTarget(c.target)
        let info = try RequestInfoResolver.resolve(method: c.method, target: target)
        #expect(Intent.describe(info, query: target.query, objectName: c.objectName) == c.expected)
    }

    @Test func truncatesLongIntentsWithAnEllipsis() throws {
        let word = String(repeating: "x", count: 300)
        let target = RequestTarget("/api/v1/namespaces/demo/pods/web-1/exec?command=echo&command=\(word)")
        let info = try RequestInfoResolver.resolve(method: "GET", target: target)
        let text = Intent.describe(info, query: target.query)
        let head = "exec into pod web-1 in demo: echo "
        #expect(text.count == Intent.maximumLength)
        #expect(text == head + String(repeating: "x", count: Intent.maximumLength - 1 - head.count) + "…")
    }

    @Test func keepsAnIntentOfExactlyTheMaximumLength() throws {
        let head = "exec into pod web-1 in demo: "
        let word = String(repeating: "y", count: Intent.maximumLength - head.count)
        let target = RequestTarget("/api/v1/namespaces/demo/pods/web-1/exec?command=\(word)")
        let info = try RequestInfoResolver.resolve(method: "GET", target: target)
        #expect(Intent.describe(info, query: target.query) == head + word)
    }

    @Test(arguments: [("sh", "sh"), ("", "''"), ("a b", "'a b'"), ("it's", "'it'\\''s'"), ("--x=1,y@z:/p%", "--x=1,y@z:/p%"),
                      ("$HOME", "'$HOME'"), ("é", "'é'")])
    func shellQuoting(_ word: String, _ quoted: String) {
        #expect(ShellQuoting.quote(word) == quoted)
    }
}
