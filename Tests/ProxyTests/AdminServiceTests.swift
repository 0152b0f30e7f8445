import Kube
import NIOCore
import NIOEmbedded
@testable import Proxy
import Testing

/// The admin API without its socket: who may use it, grants checked and recorded before they are
/// in force, approvals reaching the held request.
@Suite struct AdminServiceTests {
    static let root = PeerCredentials(pid: 1, uid: 0, gid: 0)

    static func service(recorder: any ProxyRecorder = InMemoryProxyRecorder()) -> AdminService {
        AdminService(policy: AccessPolicy(Policy(defaultEffect: .deny)), reviews: ReviewQueue(), recorder: recorder)
    }

    static func call(_ service: AdminService, _ method: String, _ path: String, _ body: String = "",
                     caller: PeerCredentials = root) throws -> (Int, JSONValue) {
        let loop = EmbeddedEventLoop()
        let response = try service.respond(method: method, path: path, body: Array(body.utf8), caller: caller, on: loop).wait()
        return (response.status, try JSONParser.parse(response.body))
    }

    @Test func onlyRootAndTheAdminGroupMayAdminister() {
        #expect(Self.root.mayAdminister(group: nil))
        #expect(!PeerCredentials(pid: 2, uid: 1000, gid: 1000).mayAdminister(group: nil))
        #expect(PeerCredentials(pid: 2, uid: 1000, gid: 64992).mayAdminister(group: 64992))
        #expect(PeerCredentials(pid: 2, uid: 1000, gid: 1000, groups: [27, 64992]).mayAdminister(group: 64992))
        #expect(!PeerCredentials(pid: 2, uid: 1000, gid: 1000, groups: [27]).mayAdminister(group: 64992))
    }

    @Test func aGrantIsRecordedWithItsMakerThenInForce() throws {
        let recorder = InMemoryProxyRecorder()
        let service = Self.service(recorder: recorder)
        let body = #"{"subjectKind":"user","subject":"oidc:agent-7","verbs":["delete"],"resources":["pods"],"namespaces":["demo"],"reason":"cleanup","seconds":60}"#
        let (status, answer) = try Self.call(service, "POST", "/v1/grants", body, caller: PeerCredentials(pid: 7, uid: 1234, gid: 64992))
        #expect(status == 200, "\(answer)")
        let grant = try #require(AdminJSON.decodeGrant(answer))
        #expect(grant.createdBy == .uid(1234) && grant.expiresAt.microseconds - grant.createdAt.microseconds == 60_000_000)
        #expect(recorder.events.contains { if case .grantIssued(let g) = $0 { g == grant } else { false } })
        #expect(service.policy.grants.active(at: grant.createdAt).map(\.id) == [grant.id])

        let (revoked, _) = try Self.call(service, "POST", "/v1/grants/\(grant.id)/revoke", #"{"reason":"done"}"#)
        #expect(revoked == 200 && service.policy.grants.active(at: grant.createdAt).isEmpty)
        #expect(recorder.events.contains { if case .grantRevoked(let id, _, .uid(0), "done") = $0 { id == grant.id } else { false } })
        let (again, error) = try Self.call(service, "POST", "/v1/grants/\(grant.id)/revoke")
        #expect(again == 404 && error["error"]?.stringValue?.contains("no grant") == true)
    }

    @Test("bad grants are refused with the reason", arguments: [
        (#"{"subjectKind":"user","subject":"a","resources":["pods"],"reason":"r","seconds":60}"#, "needs verbs"),
        (#"{"subjectKind":"user","subject":"a","verbs":["get"],"reason":"r","seconds":60}"#, "either resources or non-resource URLs"),
        (#"{"subjectKind":"user","subject":"a","verbs":["get"],"resources":["pods"],"seconds":60}"#, "needs a reason"),
        (#"{"subjectKind":"user","subject":"a","verbs":["get"],"resources":["pods"],"reason":"r","seconds":999999999}"#, "7 days"),
        (#"{"subjectKind":"robot","subject":"a","verbs":["get"],"resources":["pods"],"reason":"r","seconds":60}"#, "one subject"),
    ])
    func badGrants(body: String, expected: String) throws {
        let recorder = InMemoryProxyRecorder()
        let (status, answer) = try Self.call(Self.service(recorder: recorder), "POST", "/v1/grants", body)
        #expect(status == 400 && answer["error"]?.stringValue?.contains(expected) == true, "\(answer)")
        #expect(recorder.events.isEmpty)
    }

    @Test func aGrantThatCannotBeRecordedIsNotInForce() throws {
        let service = Self.service(recorder: FailingRecorder())
        let body = #"{"subjectKind":"group","subject":"oidc:ai-agents","verbs":["get"],"nonResourceURLs":["/version"],"reason":"r","seconds":60}"#
        let (status, answer) = try Self.call(service, "POST", "/v1/grants", body)
        #expect(status == 503 && answer["error"]?.stringValue?.contains("not in force") == true)
        #expect(service.policy.grants.active(at: KubeTime(seconds: 0)).isEmpty)
    }

    @Test func approvingReachesTheHeldRequestWithTheReviewersUID() throws {
        let service = Self.service()
        let id = try #require(service.reviews.reserve(limit: 4))
        let verdicts = VerdictLog()
        service.reviews.publish(PolicyDecisionTests.held(id)) { verdicts.append($0) }
        let (_, pending) = try Self.call(service, "GET", "/v1/pending")
        #expect(pending["pending"]?.arrayValue?.compactMap(AdminJSON.decodeHeld).map(\.intent) == ["delete namespace prod"])
        let (status, answer) = try Self.call(service, "POST", "/v1/pending/\(id)/approve", #"{"reason":"ok"}"#,
                                             caller: PeerCredentials(pid: 9, uid: 4321, gid: 64992))
        #expect(status == 200 && answer["verdict"] == "approved")
        #expect(verdicts.all == [.approved(by: .uid(4321), reason: "ok")])
        let (gone, _) = try Self.call(service, "POST", "/v1/pending/\(id)/deny", #"{"reason":"late"}"#)
        #expect(gone == 404)
        let (bad, _) = try Self.call(service, "POST", "/v1/pending/abc/deny")
        #expect(bad == 400)
    }

    @Test func statusReportsThePolicyAndARefusedReload() throws {
        let service = Self.service()
        service.policy.refuseReload("policy.yaml:2: rules: expected a list", at: KubeTime(seconds: 3))
        let (status, answer) = try Self.call(service, "GET", "/v1/status")
        #expect(status == 200 && answer[path: "policy", "lastError"] == "policy.yaml:2: rules: expected a list")
        #expect(answer["pending"] == 0 && answer["grants"] == 0)
        #expect(try Self.call(service, "GET", "/v1/nothing").0 == 404)
    }
}

struct FailingRecorder: ProxyRecorder {
    struct Unwritable: Error {}
    func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> { eventLoop.makeFailedFuture(Unwritable()) }
}
