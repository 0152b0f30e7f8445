import Kube
import NIOCore
import NIOEmbedded
@testable import Proxy
import Synchronization
import Testing

/// Rules match as documented on ``PolicyRule``: RBAC-like selectors, first match wins, grants
/// before rules, and exec is `create` however kubectl opens it.
@Suite struct PolicyDecisionTests {
    static func request(_ method: String, _ uri: String, user: String = "oidc:agent-7", groups: [String] = ["oidc:ai-agents"]) throws -> AccessRequest {
        AccessRequest(username: user, groups: groups, info: try RequestInfoResolver.resolve(method: method, target: uri))
    }

    @Test func theFirstMatchingRuleDecidesAndTheDefaultDecidesTheRest() throws {
        let policy = Policy(defaultEffect: .deny, rules: [
            PolicyRule(id: "no-delete-prod", effect: .deny, verbs: ["delete"], resources: ["namespaces"], names: ["prod"], reason: "never"),
            PolicyRule(id: "deletes-reviewed", effect: .review, verbs: ["delete"]),
            PolicyRule(id: "read", effect: .allow, verbs: ["get", "list", "watch"]),
        ])
        let prod = policy.decide(try Self.request("DELETE", "/api/v1/namespaces/prod"))
        #expect(prod == PolicyDecision(effect: .deny, source: .rule("no-delete-prod"), reason: "never"))
        #expect(policy.decide(try Self.request("DELETE", "/api/v1/namespaces/staging")).source == .rule("deletes-reviewed"))
        #expect(policy.decide(try Self.request("GET", "/api/v1/namespaces/demo/pods")).effect == .allow)
        let create = policy.decide(try Self.request("POST", "/api/v1/namespaces/demo/pods"))
        #expect(create.effect == .deny && create.source == .defaultEffect && create.reason == "no rule allows it")
    }

    @Test func subresourcesAreNamedExplicitlyAsInRBAC() throws {
        let pods = PolicyRule(id: "pods", effect: .allow, resources: ["pods"])
        let exec = PolicyRule(id: "exec", effect: .allow, resources: ["pods/exec"])
        let anySub = PolicyRule(id: "any", effect: .allow, resources: ["pods/*"])
        let scale = PolicyRule(id: "scale", effect: .allow, resources: ["*/scale"])
        let execRequest = try Self.request("POST", "/api/v1/namespaces/demo/pods/web-1/exec?command=sh")
        #expect(!pods.matches(execRequest) && exec.matches(execRequest) && anySub.matches(execRequest))
        #expect(pods.matches(try Self.request("GET", "/api/v1/namespaces/demo/pods/web-1")))
        #expect(!anySub.matches(try Self.request("GET", "/api/v1/namespaces/demo/pods/web-1")))
        #expect(scale.matches(try Self.request("PUT", "/apis/apps/v1/namespaces/demo/deployments/web/scale")))
    }

    @Test func execAttachAndPortForwardAreCreateEvenOverAWebSocketGet() throws {
        let rule = PolicyRule(id: "exec", effect: .review, verbs: ["create"], resources: ["pods/exec", "pods/attach", "pods/portforward"])
        for sub in ["exec?command=sh", "attach", "portforward?ports=80"] {
            #expect(rule.matches(try Self.request("GET", "/api/v1/namespaces/demo/pods/web-1/\(sub)")), "\(sub)")
        }
        #expect(try Self.request("GET", "/api/v1/namespaces/demo/pods/web-1/log").info.verb == "get")
    }

    @Test func namespacesNamesGroupsAndSubjectsNarrowARule() throws {
        let rule = PolicyRule(id: "r", effect: .allow, groups: ["oidc:ai-agents"], apiGroups: ["apps"], resources: ["deployments"],
                              namespaces: ["demo"], names: ["web"])
        #expect(rule.matches(try Self.request("PATCH", "/apis/apps/v1/namespaces/demo/deployments/web")))
        #expect(!rule.matches(try Self.request("PATCH", "/apis/apps/v1/namespaces/prod/deployments/web")))
        #expect(!rule.matches(try Self.request("PATCH", "/apis/apps/v1/namespaces/demo/deployments/api")))
        #expect(!rule.matches(try Self.request("PATCH", "/apis/apps/v1/namespaces/demo/deployments/web", groups: ["oidc:people"])))
        let everyone = PolicyRule(id: "e", effect: .allow, groups: ["system:authenticated"])
        #expect(everyone.matches(try Self.request("GET", "/version", groups: [])), "kube-apiserver's implicit group")
        let clusterScope = PolicyRule(id: "c", effect: .allow, resources: ["nodes"], namespaces: [""])
        #expect(clusterScope.matches(try Self.request("GET", "/api/v1/nodes/n1")))
        #expect(PolicyRule(id: "ns", effect: .deny, namespaces: ["prod"]).matches(try Self.request("DELETE", "/api/v1/namespaces/prod")),
                "a namespace object is in its own namespace, as in kube-apiserver")
    }

    @Test func nonResourceURLsMatchExactlyOrByPrefixAndNeverResources() throws {
        let rule = PolicyRule(id: "d", effect: .allow, nonResourceURLs: ["/version", "/openapi/*"])
        #expect(rule.matches(try Self.request("GET", "/version")))
        #expect(rule.matches(try Self.request("GET", "/openapi/v3/apis/apps/v1")))
        #expect(!rule.matches(try Self.request("GET", "/versions")))
        #expect(!rule.matches(try Self.request("GET", "/api/v1/pods")))
        #expect(!PolicyRule(id: "p", effect: .allow, resources: ["*"]).matches(try Self.request("GET", "/version")))
        #expect(PolicyRule(id: "all", effect: .allow).matches(try Self.request("GET", "/version")))
    }

    @Test func grantsComeBeforeTheRulesAndStopMatchingWhenTheyExpire() throws {
        let grant = Grant(id: "g-00000001", subject: .user("oidc:agent-7"), verbs: ["delete"], resources: ["pods"], namespaces: ["demo"],
                          reason: "cleanup", createdAt: KubeTime(seconds: 100), expiresAt: KubeTime(seconds: 200), createdBy: .uid(0))
        let access = AccessPolicy(Policy(defaultEffect: .deny, rules: [PolicyRule(id: "no-deletes", effect: .deny, verbs: ["delete"])]),
                                  grants: GrantBook([grant]))
        let delete = try Self.request("DELETE", "/api/v1/namespaces/demo/pods/web-1")
        #expect(access.decide(delete, at: KubeTime(seconds: 150)) == PolicyDecision(effect: .allow, source: .grant("g-00000001"), reason: "cleanup"))
        #expect(access.decide(delete, at: KubeTime(seconds: 200)).source == .rule("no-deletes"))
        #expect(access.decide(try Self.request("DELETE", "/api/v1/namespaces/prod/pods/web-1"), at: KubeTime(seconds: 150)).effect == .deny)
        #expect(access.decide(try Self.request("DELETE", "/api/v1/namespaces/demo/pods/web-1", user: "oidc:other"),
                              at: KubeTime(seconds: 150)).effect == .deny)
        #expect(access.grants.revoke("g-00000001", at: KubeTime(seconds: 150)))
        #expect(access.decide(delete, at: KubeTime(seconds: 150)).effect == .deny)
    }

    @Test func replacingThePolicyCountsGenerationsAndARefusedReloadKeepsIt() throws {
        let access = AccessPolicy(Policy(defaultEffect: .allow))
        access.refuseReload("policy.yaml:3: rules[0].effect: expected allow, deny or review", at: KubeTime(seconds: 5))
        #expect(access.policy.defaultEffect == .allow && access.status.lastError?.contains("rules[0]") == true)
        access.replace(Policy(defaultEffect: .deny), digest: "abc", at: KubeTime(seconds: 6))
        #expect(access.status.generation == 2 && access.status.lastError == nil && access.policy.defaultEffect == .deny)
    }

    @Test func theReviewQueueCapsHeldRequestsAndGivesEachOneVerdict() {
        let queue = ReviewQueue()
        let first = queue.reserve(limit: 2), second = queue.reserve(limit: 2)
        #expect(first != nil && second != nil && queue.reserve(limit: 2) == nil)
        let verdicts = VerdictLog()
        queue.publish(Self.held(first ?? 0)) { verdicts.append($0) }
        #expect(!queue.decide(second ?? 0, .timedOut), "a reserved request is not visible until published")
        #expect(queue.pending().map(\.id) == [first ?? 0])
        #expect(queue.decide(first ?? 0, .approved(by: .uid(0), reason: nil)))
        #expect(!queue.decide(first ?? 0, .denied(by: .uid(0), reason: nil)), "the first verdict wins")
        #expect(verdicts.all == [.approved(by: .uid(0), reason: nil)])
        queue.release(second ?? 0)
        #expect(queue.reserve(limit: 2) != nil && queue.reserve(limit: 2) != nil)
    }

    static func held(_ id: UInt64) -> HeldRequest {
        HeldRequest(id: id, request: RequestID(9), connection: ConnectionID(3), username: "oidc:agent-7", groups: [], intent: "delete namespace prod",
                    bodySummary: "no body", rule: "r", reason: nil, heldAt: KubeTime(seconds: 1), deadline: KubeTime(seconds: 301))
    }

    @Test func bodySummariesShowShapeButNoValues() {
        let secret = Array(#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds","namespace":"demo"},"data":{"password":"aHVudGVyMg=="}}"#.utf8)
        let summary = BodySummary.describe(secret, contentType: "application/json")
        #expect(summary.hasPrefix("Secret v1 creds in demo; fields: data (1 key), metadata"), "\(summary)")
        #expect(!summary.contains("aHVudGVyMg"))
        #expect(BodySummary.describe([], contentType: nil) == "no body")
        let options = Array(#"{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}"#.utf8)
        #expect(BodySummary.describe(options, contentType: nil).contains("propagationPolicy=\"Background\""))
    }
}

final class VerdictLog: Sendable {
    private let log = Mutex<[ReviewVerdict]>([])
    func append(_ verdict: ReviewVerdict) { log.withLock { $0.append(verdict) } }
    var all: [ReviewVerdict] { log.withLock { $0 } }
}
