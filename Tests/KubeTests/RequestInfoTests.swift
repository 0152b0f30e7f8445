import Kube
import Testing

struct RequestInfoTests {
    @Test(arguments: [
        ("GET", "/api/v1/namespaces/demo/pods?watch=true", true),
        ("GET", "/api/v1/watch/pods", true),
        ("GET", "/api/v1/proxy/nodes/n1/stats", true),
        ("GET", "/api/v1/namespaces/demo/pods/web-1/exec?command=sh", true),
        ("POST", "/api/v1/namespaces/demo/pods/web-1/attach", true),
        ("GET", "/api/v1/namespaces/demo/pods/web-1/portforward", true),
        ("GET", "/api/v1/namespaces/x/services/s/proxy/a", true),
        ("GET", "/api/v1/namespaces/demo/pods/web-1/log?follow=true", true),
        ("GET", "/api/v1/namespaces/demo/pods/web-1/log", true),
        ("GET", "/debug/pprof/profile?seconds=30", true),
        ("GET", "/api/v1/namespaces/demo/pods", false),
        ("GET", "/api/v1/namespaces/demo/pods/web-1/status", false),
        ("GET", "/debug/pprof", false),
        ("GET", "/version", false),
    ])
    func longRunningAsTheAPIServerDecides(_ method: String, _ target: String, _ expected: Bool) throws {
        let parsed = RequestTarget(target)
        #expect(try RequestInfoResolver.resolve(method: method, target: parsed).isLongRunning == expected)
    }

    @Test func groupResource() throws {
        let info = try RequestInfoResolver.resolve(method: "GET", target: "/apis/apps/v1/namespaces/x/deployments/d/scale")
        #expect(info.groupResource == GroupResource(group: "apps", resource: "deployments"))
        #expect(info.groupResource.description == "deployments.apps")
        #expect(GroupResource(resource: "pods").description == "pods")
        #expect(GroupResource(resource: "").isEmpty)
    }
}
