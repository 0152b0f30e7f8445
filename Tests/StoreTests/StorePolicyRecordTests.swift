import Foundation
import GRDB
import Kube
@testable import Proxy
import Store
import Testing

/// Decisions, reviews and grants are recorded in the chain, and reading them back gives the
/// decision that stood: a review's over the rule's.
@Suite struct StorePolicyRecordTests {
    static func decided(_ id: UInt64, uri: String, method: String = "GET", _ decision: PolicyDecision) -> ProxyEvent {
        var record = TestEvents.request(id, method: method, uri: uri)
        record.decision = decision
        return .requestReceived(record)
    }

    static func refused(_ id: UInt64) -> ProxyEvent {
        .requestRejected(RequestID(id), time: TestEvents.time(2000), status: Status(message: "portcullis: denied", reason: "Forbidden", code: 403),
                         reason: "denied")
    }

    @Test func decisionsAndReviewsAreRecordedAndTheReviewsDecisionStands() throws {
        let f = try StoreFixture.make("policy")
        defer { f.close() }
        try f.record([
            TestEvents.opened(1),
            Self.decided(1, uri: "/api/v1/namespaces/demo/pods", PolicyDecision(effect: .allow, source: .rule("read"), reason: nil)),
            .responseStarted(RequestID(1), time: TestEvents.time(100), status: 200, headers: []),
            .responseCompleted(RequestID(1), time: TestEvents.time(200), bytes: 0),
            Self.decided(2, uri: "/api/v1/namespaces/prod", method: "DELETE",
                         PolicyDecision(effect: .deny, source: .rule("no-delete-prod"), reason: "never")), Self.refused(2),
            Self.decided(3, uri: "/api/v1/namespaces/demo/pods/a", method: "DELETE",
                         PolicyDecision(effect: .review, source: .rule("deletes-reviewed"), reason: nil)),
            .reviewDecided(RequestID(3), time: TestEvents.time(3000), verdict: .denied(by: .uid(1234), reason: "not now")), Self.refused(3),
            Self.decided(4, uri: "/api/v1/namespaces/demo/pods/b", method: "DELETE",
                         PolicyDecision(effect: .review, source: .rule("deletes-reviewed"), reason: nil)),
            .reviewDecided(RequestID(4), time: TestEvents.time(4000), verdict: .approved(by: .uid(0), reason: nil)),
            .responseStarted(RequestID(4), time: TestEvents.time(4100), status: 200, headers: []),
            .responseCompleted(RequestID(4), time: TestEvents.time(4200), bytes: 0),
            Self.decided(5, uri: "/api/v1/namespaces/demo/pods/c", method: "DELETE",
                         PolicyDecision(effect: .review, source: .rule("deletes-reviewed"), reason: nil)),
            .reviewDecided(RequestID(5), time: TestEvents.time(5000), verdict: .timedOut), Self.refused(5),
            Self.decided(6, uri: "/api/v1/namespaces/demo/pods/d", method: "DELETE",
                         PolicyDecision(effect: .allow, source: .grant("g-0000abcd"), reason: "cleanup")),
        ])
        let rows = try f.rows("SELECT id, decision, decision_rule FROM requests ORDER BY id")
        #expect(rows.map { "\($0.int("id") ?? 0) \($0.text("decision") ?? "-") \($0.text("decision_rule") ?? "-")" } == [
            "1 allow read", "2 deny no-delete-prod", "3 review deletes-reviewed", "4 review deletes-reviewed", "5 review deletes-reviewed",
            "6 allow grant:g-0000abcd",
        ])
        let reviews = try f.rows("SELECT request_id, outcome, decision, reviewer_uid FROM reviews ORDER BY request_id")
        #expect(reviews.map { "\($0.int("request_id") ?? 0) \($0.text("outcome") ?? "") \($0.text("decision") ?? "-") \($0.int("reviewer_uid").map(String.init) ?? "-")" }
                == ["3 denied deny 1234", "4 approved allow 0", "5 timed_out deny -"])

        let reader = try StoreReader.open(path: f.path)
        let denied = try reader.sessions(matching: SessionFilter(outcomes: [.denied]))
        #expect(denied.count == 1 && denied.first?.outcomes == [.denied: 3, .allowed: 2, .unanswered: 1])
        let three = try #require(try reader.request(id: 3))
        #expect(three.outcome == .denied && three.review?.text == "denied by uid 1234: not now")
        let four = try #require(try reader.request(id: 4))
        #expect(four.outcome == .allowed && four.finalDecision == "allow")
        #expect(try StoreVerifier.verify(f.database).problem == nil)
    }

    @Test func grantsAndRevocationsAreReadBackAndOnlyActiveOnesLoad() throws {
        let f = try StoreFixture.make("grants")
        defer { f.close() }
        func grant(_ id: String, expires: Int64) -> Grant {
            Grant(id: id, subject: .group("oidc:ai-agents"), verbs: ["get"], resources: ["pods"], namespaces: ["demo", ""],
                  reason: "why", createdAt: KubeTime(seconds: 100), expiresAt: KubeTime(seconds: expires), createdBy: .uid(42))
        }
        try f.record([.grantIssued(grant("g-00000001", expires: 500)), .grantIssued(grant("g-00000002", expires: 150)),
                      .grantIssued(grant("g-00000003", expires: 500)),
                      .grantRevoked(id: "g-00000003", time: KubeTime(seconds: 120), by: .uid(0), reason: "done")])
        let reader = try StoreReader.open(path: f.path)
        let all = try reader.grants()
        #expect(all.map { $0.state(at: KubeTime(seconds: 200)) } == ["active", "expired", "revoked"])
        #expect(all[0].grant == grant("g-00000001", expires: 500))
        #expect(all[2].revokedBy == .uid(0) && all[2].revokeReason == "done")
        #expect(try reader.activeGrants(at: KubeTime(seconds: 200)).map(\.id) == ["g-00000001"])
        #expect(try StoreVerifier.verify(f.database).problem == nil)
    }
}
