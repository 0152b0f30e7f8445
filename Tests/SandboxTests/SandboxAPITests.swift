import Foundation
import Kube
import Testing
import TestSupport

@testable import Sandbox

@Suite struct SandboxAPITests {
    let api = SandboxAPI(options: .init())
    let admin = UserInfo(username: "admin", groups: ["system:masters", "system:authenticated"])

    func request(_ method: String, _ target: String, body: String = "", contentType: String = "application/json",
                 accept: String = "application/json") throws -> APIResponse {
        let parsed = RequestTarget(target)
        let info = try RequestInfoResolver.resolve(method: method, target: parsed)
        return api.handle(APIRequest(method: method, target: parsed, info: info, accept: accept, contentType: contentType,
                                     body: Array(body.utf8), user: admin))
    }

    func json(_ response: APIResponse) -> JSONValue? {
        if case .json(_, let body, _) = response { return body }
        return nil
    }

    func status(_ response: APIResponse) -> Status? {
        if case .status(let s) = response { return s }
        return nil
    }

    func createNamespace(_ name: String) throws {
        let r = try request("POST", "/api/v1/namespaces", body: #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"\#(name)"}}"#)
        #expect(r.code == 201)
    }

    func createPod(_ name: String, in namespace: String) throws -> APIResponse {
        try request("POST", "/api/v1/namespaces/\(namespace)/pods",
                    body: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}"#)
    }

    @Test func theSystemNamespacesExistAndCannotBeDeleted() throws {
        let list = json(try request("GET", "/api/v1/namespaces"))
        #expect(list?["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue } == SandboxAPI.systemNamespaces)
        let refused = status(try request("DELETE", "/api/v1/namespaces/default"))
        #expect(refused?.code == 403)
        #expect(refused?.message == #"namespaces "default" is forbidden: this namespace may not be deleted"#)
    }

    @Test func aNewNamespaceGetsADefaultServiceAccount() throws {
        try createNamespace("demo")
        #expect(json(try request("GET", "/api/v1/namespaces/demo/serviceaccounts/default"))?[path: "metadata", "name"] == "default")
    }

    @Test func createInAMissingNamespaceIsNotFound() throws {
        let s = status(try createPod("web-1", in: "nowhere"))
        #expect(s?.code == 404)
        #expect(s?.message == #"namespaces "nowhere" not found"#)
    }

    @Test func aCreatedPodIsRunningAndACopyIsAlreadyExists() throws {
        try createNamespace("demo")
        let created = json(try createPod("web-1", in: "demo"))
        #expect(created?[path: "status", "phase"] == "Running")
        #expect(created?[path: "metadata", "namespace"] == "demo")
        #expect(created?[path: "metadata", "uid"]?.stringValue?.isEmpty == false)
        let again = status(try createPod("web-1", in: "demo"))
        #expect(again?.code == 409)
        #expect(again?.reason == "AlreadyExists")
    }

    @Test func anInvalidNameIsRejectedWith422() throws {
        try createNamespace("demo")
        let s = status(try createPod("Not_Valid", in: "demo"))
        #expect(s?.code == 422)
        #expect(s?.reason == "Invalid")
    }

    @Test func deletingANamespaceDeletesItsContents() throws {
        try createNamespace("demo")
        _ = try createPod("web-1", in: "demo")
        #expect(try request("DELETE", "/api/v1/namespaces/demo").code == 200)
        #expect(status(try request("GET", "/api/v1/namespaces/demo/pods/web-1"))?.code == 404)
        #expect(json(try request("GET", "/api/v1/pods"))?["items"]?.arrayValue?.isEmpty == true)
    }

    @Test func anUpdateWithAStaleResourceVersionConflicts() throws {
        try createNamespace("demo")
        let created = json(try request("POST", "/api/v1/namespaces/demo/configmaps",
                                       body: #"{"metadata":{"name":"c"},"data":{"k":"v"}}"#))
        let rv = created?[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        let fresh = #"{"metadata":{"name":"c","resourceVersion":"\#(rv)"},"data":{"k":"w"}}"#
        #expect(try request("PUT", "/api/v1/namespaces/demo/configmaps/c", body: fresh).code == 200)
        let stale = status(try request("PUT", "/api/v1/namespaces/demo/configmaps/c", body: fresh))
        #expect(stale?.code == 409)
        #expect(stale?.message == #"Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again"#)
    }

    @Test func serverSideApplyCreatesThenMerges() throws {
        try createNamespace("demo")
        let path = "/api/v1/namespaces/demo/configmaps/c?fieldManager=kubectl&force=false"
        let first = try request("PATCH", path, body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}}"#,
                                contentType: "application/apply-patch+yaml")
        #expect(first.code == 201)
        let second = json(try request("PATCH", path, body: #"{"data":{"b":"2"}}"#, contentType: "application/apply-patch+yaml"))
        #expect(second?["data"] == ["a": "1", "b": "2"])
    }

    @Test func mergeAndJSONPatchesChangeTheStoredObject() throws {
        try createNamespace("demo")
        _ = try request("POST", "/api/v1/namespaces/demo/configmaps", body: #"{"metadata":{"name":"c"},"data":{"a":"1","b":"2"}}"#)
        let merged = json(try request("PATCH", "/api/v1/namespaces/demo/configmaps/c", body: #"{"data":{"a":null,"c":"3"}}"#,
                                      contentType: "application/merge-patch+json"))
        #expect(merged?["data"] == ["b": "2", "c": "3"])
        let patched = json(try request("PATCH", "/api/v1/namespaces/demo/configmaps/c",
                                       body: #"[{"op":"replace","path":"/data/b","value":"two"}]"#,
                                       contentType: "application/json-patch+json"))
        #expect(patched?["data"] == ["b": "two", "c": "3"])
        let failed = status(try request("PATCH", "/api/v1/namespaces/demo/configmaps/c",
                                        body: #"[{"op":"test","path":"/data/b","value":"2"}]"#, contentType: "application/json-patch+json"))
        #expect(failed?.code == 422)
        #expect(status(try request("PATCH", "/api/v1/namespaces/demo/configmaps/missing", body: "{}",
                                   contentType: "application/merge-patch+json"))?.code == 404)
    }

    @Test func deleteCollectionHonoursTheLabelSelector() throws {
        try createNamespace("demo")
        _ = try request("POST", "/api/v1/namespaces/demo/configmaps", body: #"{"metadata":{"name":"keep"}}"#)
        _ = try request("POST", "/api/v1/namespaces/demo/configmaps", body: #"{"metadata":{"name":"drop","labels":{"tier":"tmp"}}}"#)
        let deleted = json(try request("DELETE", "/api/v1/namespaces/demo/configmaps?labelSelector=tier%3Dtmp"))
        #expect(deleted?["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue } == ["drop"])
        let left = json(try request("GET", "/api/v1/namespaces/demo/configmaps"))
        #expect(left?["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue } == ["keep"])
        #expect(status(try request("DELETE", "/api/v1/namespaces/demo/configmaps?labelSelector=a%20in"))?.code == 400)
    }

    @Test func anUnknownPatchTypeIs415() throws {
        try createNamespace("demo")
        #expect(status(try request("PATCH", "/api/v1/namespaces/demo", body: "{}", contentType: "text/plain"))?.code == 415)
    }

    @Test func listsAsTablesCarryColumnsAndRows() throws {
        let table = json(try request("GET", "/api/v1/namespaces?limit=500",
                                     accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"))
        #expect(table?["kind"] == "Table")
        #expect(table?["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Name", "Status", "Age"])
        #expect(table?["rows"]?.arrayValue?.first?["cells"]?.arrayValue?.prefix(2) == ["default", "Active"])
    }

    @Test func limitAndContinuePageThroughAList() throws {
        let first = json(try request("GET", "/api/v1/namespaces?limit=3"))
        #expect(first?["items"]?.arrayValue?.count == 3)
        let token = try #require(first?[path: "metadata", "continue"]?.stringValue)
        let second = json(try request("GET", "/api/v1/namespaces?limit=3&continue=\(token)"))
        #expect(second?["items"]?.arrayValue?.count == 1)
        #expect(second?[path: "metadata", "continue"] == nil)
    }

    @Test func aWatchRequestBecomesAWatchPlan() throws {
        guard case .watch(let plan) = try request("GET", "/api/v1/namespaces/demo/pods?watch=true&resourceVersion=7&timeoutSeconds=30") else {
            Issue.record("expected a watch")
            return
        }
        #expect(plan.resourceVersion == 7)
        #expect(plan.timeoutSeconds == 30)
        #expect(plan.filter.namespace == "demo")
        #expect(status(try request("GET", "/api/v1/pods?watch=1&resourceVersion=abc"))?.code == 400)
    }

    @Test func execWithoutAnUpgradeSaysWhy() throws {
        try createNamespace("demo")
        _ = try createPod("web-1", in: "demo")
        let plain = status(try request("GET", "/api/v1/namespaces/demo/pods/web-1/exec?command=ls"))
        #expect(plain?.message == "Upgrade request required")
        let missing = status(try request("GET", "/api/v1/namespaces/demo/pods/nope/exec?command=ls"))
        #expect(missing?.code == 404)
        let badContainer = status(try request("GET", "/api/v1/namespaces/demo/pods/web-1/exec?command=ls&container=x"))
        #expect(badContainer?.message == "container x is not valid for pod web-1")
    }

    @Test func discoveryAnswersAggregatedOrLegacyByAccept() throws {
        let aggregated = try request("GET", "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")
        guard case .json(_, let body, let contentType) = aggregated else {
            Issue.record("expected JSON")
            return
        }
        #expect(contentType == DiscoveryDocuments.aggregatedContentType)
        #expect(body["items"]?.arrayValue?.first?[path: "metadata", "name"] == "apps")
        #expect(json(try request("GET", "/apis"))?["kind"] == "APIGroupList")
        #expect(json(try request("GET", "/api/v1"))?["resources"]?.arrayValue?.contains { $0["name"] == "pods/exec" } == true)
        #expect(json(try request("GET", "/version"))?["minor"] == "32")
    }

    @Test func openAPIV3AdvertisesFieldValidationOnPatch() throws {
        let root = json(try request("GET", "/openapi/v3"))
        let url = try #require(root?[path: "paths", "api/v1", "serverRelativeURL"]?.stringValue)
        let doc = json(try request("GET", url))
        let patch = doc?[path: "paths", "/api/v1/namespaces/{namespace}/configmaps/{name}", "patch"]
        #expect(patch?["parameters"]?.arrayValue?.contains { $0["name"] == "fieldValidation" } == true)
        #expect(patch?["x-kubernetes-group-version-kind"] == ["group": "", "version": "v1", "kind": "ConfigMap"])
    }

    @Test func openAPIV2ComesAsProtobufWhenOnlyProtobufIsAccepted() throws {
        guard case .raw(200, let bytes, let contentType) = try request("GET", "/openapi/v2",
                                                                         accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf") else {
            Issue.record("expected protobuf")
            return
        }
        #expect(contentType == OpenAPIDocuments.protobufV2ContentType)
        #expect(Array(bytes.prefix(5)) == [0x0A, 3] + Array("2.0".utf8))
    }
}

@Suite struct SandboxProtobufBodyTests {
    let api = SandboxAPI(options: .init())
    let admin = UserInfo(username: "admin", groups: ["system:masters", "system:authenticated"])

    func post(_ target: String, _ body: [UInt8], contentType: String = ProtobufEnvelope.mediaType) throws -> APIResponse {
        let parsed = RequestTarget(target)
        let info = try RequestInfoResolver.resolve(method: "POST", target: parsed)
        return api.handle(APIRequest(method: "POST", target: parsed, info: info, accept: "application/vnd.kubernetes.protobuf, */*",
                                     contentType: contentType, body: body, user: admin))
    }

    @Test func kubectlsProtobufCreatesAreServed() throws {
        #expect(try post("/api/v1/namespaces", KubectlProtobufBodies.createNamespace).code == 201)
        let demo = #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}}"#
        #expect(try post("/api/v1/namespaces", Array(demo.utf8), contentType: "application/json").code == 201)
        for (path, body) in [("/api/v1/namespaces/demo/secrets", KubectlProtobufBodies.createSecret),
                             ("/api/v1/namespaces/demo/configmaps", KubectlProtobufBodies.createConfigMap),
                             ("/apis/apps/v1/namespaces/demo/deployments", KubectlProtobufBodies.createDeployment)] {
            let response = try post(path + "?fieldManager=kubectl-create&fieldValidation=Strict", body)
            #expect(response.code == 201, "\(path)")
        }
        let secret = api.store.get(ResourceCatalog.find(group: "", version: "v1", resource: "secrets")!, namespace: "demo", name: "db-pass")
        #expect(secret?[path: "data", "password"]?.stringValue == Data("hunter2-s3cr3t".utf8).base64EncodedString())
    }

    @Test func aProtobufBodyOfAnotherKindIs415AndGarbageIs400() throws {
        let lease = ProtobufEnvelope(apiVersion: "coordination.k8s.io/v1", kind: "Lease", raw: []).encoded()
        let refused = try post("/api/v1/namespaces", lease)
        #expect(refused.code == 415)
        let garbage = try post("/api/v1/namespaces", ProtobufEnvelope.magic + [0xFF, 0xFF, 0xFF])
        #expect(garbage.code == 400)
    }
}
