import Kube
import Testing

/// RequestInfo attribution, checked field by field against what kube-apiserver's
/// `RequestInfoFactory.NewRequestInfo` (release-1.32, AuthorizeWithSelectors on) yields.
struct RequestInfoTableTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let method: String
        let target: String
        let expected: RequestInfo
        var testDescription: String { "\(method) \(target)" }

        init(_ method: String, _ target: String, _ expected: RequestInfo) {
            self.method = method
            self.target = target
            self.expected = expected
        }
    }

    static func other(_ path: String, _ verb: String, prefix: String = "") -> RequestInfo {
        RequestInfo(isResourceRequest: false, path: path, verb: verb, apiPrefix: prefix)
    }

    static func api(_ path: String, _ verb: String, prefix: String = "api", group: String = "", version: String = "v1",
                    ns: String = "", resource: String, sub: String = "", name: String = "", parts: [String],
                    fields: String = "", labels: String = "") -> RequestInfo {
        RequestInfo(isResourceRequest: true, path: path, verb: verb, apiPrefix: prefix, apiGroup: group,
                    apiVersion: version, namespace: ns, resource: resource, subresource: sub, name: name,
                    parts: parts, fieldSelector: fields, labelSelector: labels)
    }

    static let nonResource: [Case] = [
        Case("GET", "/", other("/", "get")),
        Case("GET", "/api", other("/api", "get")),
        Case("GET", "/apis", other("/apis", "get")),
        Case("GET", "/api/v1", other("/api/v1", "get")),
        Case("DELETE", "/api/v1/", other("/api/v1/", "delete")),
        Case("GET", "/apis/apps", other("/apis/apps", "get")),
        // Three parts pass the first check, so the prefix is already recorded.
        Case("GET", "/apis/apps/v1", other("/apis/apps/v1", "get", prefix: "apis")),
        Case("PUT", "/apis/apps/v1/", other("/apis/apps/v1/", "put", prefix: "apis")),
        Case("GET", "/version?timeout=5s", other("/version", "get")),
        Case("GET", "/healthz", other("/healthz", "get")),
        Case("OPTIONS", "/healthz", other("/healthz", "options")),
        Case("GET", "/openapi/v3/api/v1?hash=x", other("/openapi/v3/api/v1", "get")),
        Case("GET", "/metrics", other("/metrics", "get")),
        Case("POST", "/foo/bar/baz", other("/foo/bar/baz", "post")),
        Case("GET", "/badprefix/v1/pods", other("/badprefix/v1/pods", "get")),
    ]

    static let methods: [Case] = [
        Case("POST", "/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create&fieldValidation=Strict",
             api("/api/v1/namespaces/demo/configmaps", "create", ns: "demo", resource: "configmaps", parts: ["configmaps"])),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1",
             api("/api/v1/namespaces/demo/pods/web-1", "get", ns: "demo", resource: "pods", name: "web-1", parts: ["pods", "web-1"])),
        Case("HEAD", "/api/v1/namespaces/demo/pods/web-1",
             api("/api/v1/namespaces/demo/pods/web-1", "get", ns: "demo", resource: "pods", name: "web-1", parts: ["pods", "web-1"])),
        Case("PUT", "/api/v1/namespaces/demo/configmaps/cfg1",
             api("/api/v1/namespaces/demo/configmaps/cfg1", "update", ns: "demo", resource: "configmaps", name: "cfg1", parts: ["configmaps", "cfg1"])),
        Case("PATCH", "/api/v1/namespaces/demo/configmaps/cfg1?fieldManager=kubectl&force=false",
             api("/api/v1/namespaces/demo/configmaps/cfg1", "patch", ns: "demo", resource: "configmaps", name: "cfg1", parts: ["configmaps", "cfg1"])),
        Case("DELETE", "/api/v1/namespaces/demo/pods/web-1",
             api("/api/v1/namespaces/demo/pods/web-1", "delete", ns: "demo", resource: "pods", name: "web-1", parts: ["pods", "web-1"])),
        Case("OPTIONS", "/api/v1/namespaces/demo/pods",
             api("/api/v1/namespaces/demo/pods", "", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("HEAD", "/api/v1/namespaces/demo/pods",
             api("/api/v1/namespaces/demo/pods", "list", ns: "demo", resource: "pods", parts: ["pods"])),
        // Go switches on the method exactly; a lowercase method maps to no verb.
        Case("get", "/api/v1/pods", api("/api/v1/pods", "", resource: "pods", parts: ["pods"])),
    ]

    static let watch: [Case] = [
        Case("GET", "/api/v1/namespaces/demo/pods?resourceVersion=107&watch=true",
             api("/api/v1/namespaces/demo/pods", "watch", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods?watch=1", api("/api/v1/namespaces/demo/pods", "watch", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods?watch=false", api("/api/v1/namespaces/demo/pods", "list", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods?watch=0", api("/api/v1/namespaces/demo/pods", "list", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods?watch=FALSE", api("/api/v1/namespaces/demo/pods", "list", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods?watch=yes", api("/api/v1/namespaces/demo/pods", "watch", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods?watch=", api("/api/v1/namespaces/demo/pods", "watch", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods?watch", api("/api/v1/namespaces/demo/pods", "watch", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/pods?watch=false&watch=true", api("/api/v1/pods", "list", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1?watch=true",
             api("/api/v1/namespaces/demo/pods/web-1", "get", ns: "demo", resource: "pods", name: "web-1", parts: ["pods", "web-1"])),
        // Decoded ListOptions use strings.EqualFold ("ſ" folds to "s"); the fallback after a
        // decoding error uses strings.ToLower, which leaves "ſ" alone.
        Case("GET", "/api/v1/pods?watch=fal%C5%BFe", api("/api/v1/pods", "list", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/pods?watch=fal%C5%BFe&limit=x", api("/api/v1/pods", "watch", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/pods?watch=%zz", api("/api/v1/pods", "list", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/pods?limit=500;watch=true", api("/api/v1/pods", "list", resource: "pods", parts: ["pods"])),
    ]

    static let collections: [Case] = [
        Case("DELETE", "/api/v1/namespaces/demo/pods?labelSelector=app%3Dweb",
             api("/api/v1/namespaces/demo/pods", "deletecollection", ns: "demo", resource: "pods", parts: ["pods"], labels: "app=web")),
        Case("DELETE", "/api/v1/nodes?labelSelector=role",
             api("/api/v1/nodes", "deletecollection", resource: "nodes", parts: ["nodes"], labels: "role")),
        // Only a GET reads ListOptions, so a deletecollection never takes its name from the selector.
        Case("DELETE", "/apis/apps/v1/namespaces/x/deployments?fieldSelector=metadata.name%3Dd",
             api("/apis/apps/v1/namespaces/x/deployments", "deletecollection", prefix: "apis", group: "apps", ns: "x",
                 resource: "deployments", parts: ["deployments"], fields: "metadata.name=d")),
        Case("DELETE", "/api/v1/namespaces", api("/api/v1/namespaces", "deletecollection", resource: "namespaces", parts: ["namespaces"])),
        Case("GET", "/api/v1/namespaces", api("/api/v1/namespaces", "list", resource: "namespaces", parts: ["namespaces"])),
        Case("POST", "/api/v1/namespaces", api("/api/v1/namespaces", "create", resource: "namespaces", parts: ["namespaces"])),
        Case("GET", "/api/v1/namespaces/demo/pods?limit=500",
             api("/api/v1/namespaces/demo/pods", "list", ns: "demo", resource: "pods", parts: ["pods"])),
    ]

    static let namespaces: [Case] = [
        Case("GET", "/api/v1/namespaces/demo",
             api("/api/v1/namespaces/demo", "get", ns: "demo", resource: "namespaces", name: "demo", parts: ["namespaces", "demo"])),
        Case("DELETE", "/api/v1/namespaces/prod",
             api("/api/v1/namespaces/prod", "delete", ns: "prod", resource: "namespaces", name: "prod", parts: ["namespaces", "prod"])),
        Case("PUT", "/api/v1/namespaces/demo/finalize",
             api("/api/v1/namespaces/demo/finalize", "update", ns: "demo", resource: "namespaces", sub: "finalize", name: "demo",
                 parts: ["namespaces", "demo", "finalize"])),
        Case("GET", "/api/v1/namespaces/demo/status",
             api("/api/v1/namespaces/demo/status", "get", ns: "demo", resource: "namespaces", sub: "status", name: "demo",
                 parts: ["namespaces", "demo", "status"])),
        Case("PATCH", "/api/v1/namespaces/demo/status",
             api("/api/v1/namespaces/demo/status", "patch", ns: "demo", resource: "namespaces", sub: "status", name: "demo",
                 parts: ["namespaces", "demo", "status"])),
        Case("GET", "/api/v1/namespaces/demo/finalize/extra",
             api("/api/v1/namespaces/demo/finalize/extra", "get", ns: "demo", resource: "namespaces", sub: "finalize", name: "demo",
                 parts: ["namespaces", "demo", "finalize", "extra"])),
        // An empty namespace segment still re-bases the parts.
        Case("GET", "/api/v1/namespaces//pods", api("/api/v1/namespaces//pods", "list", resource: "pods", parts: ["pods"])),
    ]

    static let nameFromFieldSelector: [Case] = [
        Case("GET", "/api/v1/namespaces?fieldSelector=metadata.name%3Dteam-a&limit=500&resourceVersion=0",
             api("/api/v1/namespaces", "list", resource: "namespaces", name: "team-a", parts: ["namespaces"], fields: "metadata.name=team-a")),
        Case("GET", "/api/v1/namespaces?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dteam-a&resourceVersion=42&timeoutSeconds=317&watch=true",
             api("/api/v1/namespaces", "watch", resource: "namespaces", name: "team-a", parts: ["namespaces"], fields: "metadata.name=team-a")),
        Case("GET", "/api/v1/namespaces/demo/pods?fieldSelector=metadata.name=web-1",
             api("/api/v1/namespaces/demo/pods", "list", ns: "demo", resource: "pods", name: "web-1", parts: ["pods"], fields: "metadata.name=web-1")),
        Case("GET", "/api/v1/namespaces/demo/pods?fieldSelector=metadata.name%3D%3Dweb-1&watch=true",
             api("/api/v1/namespaces/demo/pods", "watch", ns: "demo", resource: "pods", name: "web-1", parts: ["pods"], fields: "metadata.name==web-1")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.namespace%3Da,metadata.name%3Db",
             api("/api/v1/pods", "list", resource: "pods", name: "b", parts: ["pods"], fields: "metadata.namespace=a,metadata.name=b")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.name!%3Dx",
             api("/api/v1/pods", "list", resource: "pods", parts: ["pods"], fields: "metadata.name!=x")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.name%3Da/b",
             api("/api/v1/pods", "list", resource: "pods", parts: ["pods"], fields: "metadata.name=a/b")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.name%3D..",
             api("/api/v1/pods", "list", resource: "pods", parts: ["pods"], fields: "metadata.name=..")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.name%3Da%25b",
             api("/api/v1/pods", "list", resource: "pods", parts: ["pods"], fields: "metadata.name=a%b")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.name%3Da%5C,b",
             api("/api/v1/pods", "list", resource: "pods", name: "a,b", parts: ["pods"], fields: "metadata.name=a\\,b")),
        // Decoding failures drop the name but keep watch and the raw selectors.
        Case("GET", "/api/v1/pods?limit=abc&watch=true&fieldSelector=metadata.name%3Dx",
             api("/api/v1/pods", "watch", resource: "pods", parts: ["pods"], fields: "metadata.name=x")),
        Case("GET", "/api/v1/pods?limit=&fieldSelector=metadata.name%3Dx",
             api("/api/v1/pods", "list", resource: "pods", parts: ["pods"], fields: "metadata.name=x")),
        Case("GET", "/api/v1/pods?timeoutSeconds=&fieldSelector=metadata.name%3Dx",
             api("/api/v1/pods", "list", resource: "pods", parts: ["pods"], fields: "metadata.name=x")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.name%3Dname1,foo&watch=true",
             api("/api/v1/pods", "watch", resource: "pods", parts: ["pods"], fields: "metadata.name=name1,foo")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.name%3Da%5C!b",
             api("/api/v1/pods", "list", resource: "pods", parts: ["pods"], fields: "metadata.name=a\\!b")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.name%3D%3D%3Dx",
             api("/api/v1/pods", "list", resource: "pods", parts: ["pods"], fields: "metadata.name===x")),
        Case("GET", "/api/v1/pods?labelSelector=app%3Dweb%2F1&fieldSelector=metadata.name%3Dx",
             api("/api/v1/pods", "list", resource: "pods", parts: ["pods"], fields: "metadata.name=x", labels: "app=web/1")),
        Case("GET", "/api/v1/pods?fieldSelector=metadata.name=foo&fieldSelector=metadata.name=bar&labelSelector=foo=bar&labelSelector=foo=baz",
             api("/api/v1/pods", "list", resource: "pods", name: "foo", parts: ["pods"], fields: "metadata.name=foo", labels: "foo=bar")),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1?fieldSelector=foo%3Dbar&labelSelector=a%3Db",
             api("/api/v1/namespaces/demo/pods/web-1", "get", ns: "demo", resource: "pods", name: "web-1", parts: ["pods", "web-1"])),
    ]

    static let deprecatedPaths: [Case] = [
        Case("GET", "/api/v1/watch/namespaces/demo/pods?fieldSelector=metadata.name%3Dweb-1&labelSelector=app%3Dweb",
             api("/api/v1/watch/namespaces/demo/pods", "watch", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/watch/pods", api("/api/v1/watch/pods", "watch", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/watch/namespaces/demo/pods/web-1",
             api("/api/v1/watch/namespaces/demo/pods/web-1", "watch", ns: "demo", resource: "pods", name: "web-1", parts: ["pods", "web-1"])),
        Case("GET", "/api/v1/watch/namespaces/demo",
             api("/api/v1/watch/namespaces/demo", "watch", ns: "demo", resource: "namespaces", name: "demo", parts: ["namespaces", "demo"])),
        Case("GET", "/apis/apps/v1/watch/namespaces/x/deployments",
             api("/apis/apps/v1/watch/namespaces/x/deployments", "watch", prefix: "apis", group: "apps", ns: "x",
                 resource: "deployments", parts: ["deployments"])),
        Case("GET", "/api/v1/proxy/namespaces/x/pods/p/a/b",
             api("/api/v1/proxy/namespaces/x/pods/p/a/b", "proxy", ns: "x", resource: "pods", name: "p", parts: ["pods", "p", "a", "b"])),
        Case("GET", "/api/v1/proxy/nodes/n1/stats",
             api("/api/v1/proxy/nodes/n1/stats", "proxy", resource: "nodes", name: "n1", parts: ["nodes", "n1", "stats"])),
        Case("POST", "/api/v1/proxy/namespaces/x/services/s",
             api("/api/v1/proxy/namespaces/x/services/s", "proxy", ns: "x", resource: "services", name: "s", parts: ["services", "s"])),
    ]

    static let subresources: [Case] = [
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/log?container=main&follow=true",
             api("/api/v1/namespaces/demo/pods/web-1/log", "get", ns: "demo", resource: "pods", sub: "log", name: "web-1", parts: ["pods", "web-1", "log"])),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/exec?command=sh&container=main&stdin=true&stdout=true&tty=true",
             api("/api/v1/namespaces/demo/pods/web-1/exec", "get", ns: "demo", resource: "pods", sub: "exec", name: "web-1", parts: ["pods", "web-1", "exec"])),
        Case("POST", "/api/v1/namespaces/demo/pods/web-1/exec?command=sh&container=main&stdin=true&stdout=true&tty=true",
             api("/api/v1/namespaces/demo/pods/web-1/exec", "create", ns: "demo", resource: "pods", sub: "exec", name: "web-1", parts: ["pods", "web-1", "exec"])),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/attach?container=main&stderr=true&stdin=true&stdout=true",
             api("/api/v1/namespaces/demo/pods/web-1/attach", "get", ns: "demo", resource: "pods", sub: "attach", name: "web-1", parts: ["pods", "web-1", "attach"])),
        Case("POST", "/api/v1/namespaces/demo/pods/web-1/attach?stdout=true",
             api("/api/v1/namespaces/demo/pods/web-1/attach", "create", ns: "demo", resource: "pods", sub: "attach", name: "web-1", parts: ["pods", "web-1", "attach"])),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/portforward",
             api("/api/v1/namespaces/demo/pods/web-1/portforward", "get", ns: "demo", resource: "pods", sub: "portforward", name: "web-1",
                 parts: ["pods", "web-1", "portforward"])),
        Case("POST", "/api/v1/namespaces/demo/pods/web-1/portforward",
             api("/api/v1/namespaces/demo/pods/web-1/portforward", "create", ns: "demo", resource: "pods", sub: "portforward", name: "web-1",
                 parts: ["pods", "web-1", "portforward"])),
        Case("GET", "/api/v1/namespaces/x/services/s/proxy/a/b",
             api("/api/v1/namespaces/x/services/s/proxy/a/b", "get", ns: "x", resource: "services", sub: "proxy", name: "s",
                 parts: ["services", "s", "proxy", "a", "b"])),
        Case("GET", "/api/v1/nodes/n1/proxy/metrics",
             api("/api/v1/nodes/n1/proxy/metrics", "get", resource: "nodes", sub: "proxy", name: "n1", parts: ["nodes", "n1", "proxy", "metrics"])),
        Case("GET", "/apis/apps/v1/namespaces/x/deployments/d/scale",
             api("/apis/apps/v1/namespaces/x/deployments/d/scale", "get", prefix: "apis", group: "apps", ns: "x", resource: "deployments",
                 sub: "scale", name: "d", parts: ["deployments", "d", "scale"])),
        Case("PUT", "/apis/apps/v1/namespaces/x/deployments/d/scale",
             api("/apis/apps/v1/namespaces/x/deployments/d/scale", "update", prefix: "apis", group: "apps", ns: "x", resource: "deployments",
                 sub: "scale", name: "d", parts: ["deployments", "d", "scale"])),
        Case("PATCH", "/apis/apps/v1/namespaces/x/deployments/d/status",
             api("/apis/apps/v1/namespaces/x/deployments/d/status", "patch", prefix: "apis", group: "apps", ns: "x", resource: "deployments",
                 sub: "status", name: "d", parts: ["deployments", "d", "status"])),
        Case("POST", "/api/v1/namespaces/demo/pods/web-1/eviction",
             api("/api/v1/namespaces/demo/pods/web-1/eviction", "create", ns: "demo", resource: "pods", sub: "eviction", name: "web-1",
                 parts: ["pods", "web-1", "eviction"])),
    ]

    static let groups: [Case] = [
        Case("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/x",
             api("/apis/rbac.authorization.k8s.io/v1/clusterroles/x", "get", prefix: "apis", group: "rbac.authorization.k8s.io",
                 resource: "clusterroles", name: "x", parts: ["clusterroles", "x"])),
        Case("GET", "/apis/apps/v1/deployments",
             api("/apis/apps/v1/deployments", "list", prefix: "apis", group: "apps", resource: "deployments", parts: ["deployments"])),
        Case("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
             api("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "create", prefix: "apis", group: "authorization.k8s.io",
                 resource: "selfsubjectaccessreviews", parts: ["selfsubjectaccessreviews"])),
        Case("GET", "/apis/batch/v1beta1/namespaces/x/cronjobs?labelSelector=app+in+(a,b)",
             api("/apis/batch/v1beta1/namespaces/x/cronjobs", "list", prefix: "apis", group: "batch", version: "v1beta1", ns: "x",
                 resource: "cronjobs", parts: ["cronjobs"], labels: "app in (a,b)")),
    ]

    static let targets: [Case] = [
        // Go's URL.Path is decoded before splitting, so %2F splits a segment.
        Case("GET", "/api/v1/namespaces/demo/pods/a%2Fb",
             api("/api/v1/namespaces/demo/pods/a/b", "get", ns: "demo", resource: "pods", sub: "b", name: "a", parts: ["pods", "a", "b"])),
        Case("GET", "/api/v1/namespaces/de%6Do/pods", api("/api/v1/namespaces/demo/pods", "list", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods%3Fwatch=true",
             api("/api/v1/namespaces/demo/pods?watch=true", "list", ns: "demo", resource: "pods?watch=true", parts: ["pods?watch=true"])),
        Case("GET", "https://10.0.0.1:6443/api/v1/pods?limit=500", api("/api/v1/pods", "list", resource: "pods", parts: ["pods"])),
        Case("GET", "http://localhost/api/v1/namespaces/demo/pods/web-1",
             api("/api/v1/namespaces/demo/pods/web-1", "get", ns: "demo", resource: "pods", name: "web-1", parts: ["pods", "web-1"])),
        Case("GET", "/api/v1/namespaces/demo/pods/", api("/api/v1/namespaces/demo/pods/", "list", ns: "demo", resource: "pods", parts: ["pods"])),
        Case("GET", "/api/v1/namespaces/demo/pods/web-1/",
             api("/api/v1/namespaces/demo/pods/web-1/", "get", ns: "demo", resource: "pods", name: "web-1", parts: ["pods", "web-1"])),
        // Origin-form: a leading "//" is path, not authority.
        Case("GET", "//api/v1/pods", api("//api/v1/pods", "list", resource: "pods", parts: ["pods"])),
        // A "://" in the query does not make the target absolute.
        Case("GET", "/api/v1/namespaces/demo/secrets?x=http://evil/api/v1/namespaces/other/pods",
             api("/api/v1/namespaces/demo/secrets", "list", ns: "demo", resource: "secrets", parts: ["secrets"])),
        // url.ParseRequestURI keeps '#': it is not a fragment in a request-target.
        Case("GET", "/api/v1/namespaces/demo/pods/web-1#/../../secrets",
             api("/api/v1/namespaces/demo/pods/web-1#/../../secrets", "get", ns: "demo", resource: "pods", sub: "..", name: "web-1#",
                 parts: ["pods", "web-1#", "..", "..", "secrets"])),
    ]

    @Test(arguments: nonResource + methods + watch + collections + namespaces)
    func resolvesVerbsAndScopes(_ c: Case) throws {
        #expect(try RequestInfoResolver.resolve(method: c.method, target: c.target) == c.expected)
    }

    @Test(arguments: nameFromFieldSelector + deprecatedPaths)
    func resolvesSelectorsAndDeprecatedPaths(_ c: Case) throws {
        #expect(try RequestInfoResolver.resolve(method: c.method, target: c.target) == c.expected)
    }

    @Test(arguments: subresources + groups + targets)
    func resolvesSubresourcesGroupsAndTargets(_ c: Case) throws {
        #expect(try RequestInfoResolver.resolve(method: c.method, target: c.target) == c.expected)
    }

    @Test(arguments: ["/api/v1/watch", "/api/v1/proxy", "/api/v1/watch/", "/apis/apps/v1/watch"])
    func specialVerbWithoutResourceThrows(_ target: String) {
        #expect(throws: RequestInfoError.self) { try RequestInfoResolver.resolve(method: "GET", target: target) }
    }

    @Test func errorKeepsWhatWasKnown() throws {
        let error = try #require(throws: RequestInfoError.self) {
            try RequestInfoResolver.resolve(method: "GET", target: "/apis/apps/v1/watch")
        }
        #expect(error.partial == RequestInfo(isResourceRequest: true, path: "/apis/apps/v1/watch", verb: "get",
                                             apiPrefix: "apis", apiGroup: "apps", apiVersion: "v1"))
        #expect(error.message == "unable to determine kind and namespace from url, /apis/apps/v1/watch")
    }
}
