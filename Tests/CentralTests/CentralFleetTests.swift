import Central
import PostgresNIO
import Foundation
import Kube
@testable import Proxy
import Store
import Synchronization
import Testing
import TestSupport

/// Reviews and grants across the fleet, with a real PostgreSQL: a request held here is listed for
/// a reviewer anywhere, the reviewer's decision reaches it within a second, and so do grants and
/// their revocations.
@Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
struct CentralFleetTests {
    /// The gateway side: a local store, the review queue, the grants, and the fleet task.
    final class Gateway: Sendable {
        let local: LocalStore
        let reviews = ReviewQueue()
        let grants = GrantBook()
        let fleet: CentralFleet
        let verdicts = Mutex<[UInt64: ReviewVerdict]>([:])

        init(_ fixture: CentralFixture, client: PostgresClientBox, configuration: CentralConfiguration) throws {
            local = try LocalStore(fixture.group)
            let recorder = local.recorder
            fleet = CentralFleet(configuration: configuration, client: client.client, reviews: reviews, grants: grants, recordedGrantIDs: [],
                                 recorder: recorder, requestID: { recorder.storeRequestID($0) }, eventLoop: local.loop,
                                 logger: CentralFixture.quietLogger)
        }

        /// Holds request `n` (recorded first, as the proxy does) and returns its queue number.
        func hold(_ n: UInt64) throws -> UInt64 {
            try local.recordSession(n, requests: 1, from: n)
            let id = try #require(reviews.reserve(limit: 10))
            let now = StoreClock.now()
            let held = HeldRequest(id: id, request: RequestID(n), connection: ConnectionID(n), username: "oidc:agent-7", groups: ["oidc:ai-agents"],
                                   intent: "delete pod web-\(n) in demo", bodySummary: "", rule: "deletes-need-review", reason: "deletes are reviewed",
                                   heldAt: now, deadline: KubeTime(microseconds: now.microseconds + 60_000_000))
            reviews.publish(held) { [weak self] verdict in self?.verdicts.withLock { $0[id] = verdict } }
            return id
        }
    }

    @Test("a held request is listed centrally; a reviewer's approval there decides it here within 1 s, naming the reviewer's role")
    func reviewAcrossTheFleet() async throws {
        try await Self.withGateway { fixture, gateway in
            let approved = try gateway.hold(7)
            let denied = try gateway.hold(8)
            let storeID = gateway.local.recorder.storeRequestID(RequestID(7))
            try await fixture.withClient(try fixture.configuration(user: "alice", hostName: "reviewer")) { reviewer in
                try await CentralShippingTests.until { (try? fixture.superuserRows("SELECT count(*) FROM portcullis.held_requests")) == ["2"] }
                let pending = try await CentralReviews.pending(host: nil, client: reviewer, logger: CentralFixture.quietLogger)
                #expect(pending.map(\.reference) == ["runner-a/r\(storeID)", "runner-a/r\(storeID + 1)"])
                #expect(pending.first?.intent == "delete pod web-7 in demo" && pending.first?.rule == "deletes-need-review")
                let clock = ContinuousClock()
                let started = clock.now
                let decision = try await CentralReviews.decide(host: "runner-a", requestID: storeID, allow: true, reason: "looks fine",
                                                               client: reviewer, logger: CentralFixture.quietLogger)
                #expect(decision.reviewer == "alice")
                try await CentralShippingTests.until { gateway.verdicts.withLock { $0[approved] } != nil }
                #expect(clock.now - started < .seconds(1), "the decision arrived within 1 s")
                #expect(gateway.verdicts.withLock { $0[approved] } == .approved(by: .centralRole("alice"), reason: "looks fine"))
                _ = try await CentralReviews.decide(host: "runner-a", requestID: storeID + 1, allow: false, reason: "not today",
                                                    client: reviewer, logger: CentralFixture.quietLogger)
                try await CentralShippingTests.until { gateway.verdicts.withLock { $0[denied] } != nil }
                #expect(gateway.verdicts.withLock { $0[denied] } == .denied(by: .centralRole("alice"), reason: "not today"))
                let left = try await CentralReviews.pending(host: "runner-a", client: reviewer, logger: CentralFixture.quietLogger)
                #expect(left.isEmpty)
            }
        }
    }

    @Test("a grant made centrally is recorded and in force here within 1 s; one for another host is not; a revocation ends it within 1 s")
    func grantsAcrossTheFleet() async throws {
        try await Self.withGateway { fixture, gateway in
            // Let it connect and listen before the grant, so the notification (not the poll) carries it.
            try await CentralShippingTests.until { gateway.fleet.health.listening }
            try await fixture.withClient(try fixture.configuration(user: "alice", hostName: "reviewer")) { reviewer in
                func grant(for host: String?) async throws -> Grant {
                    let request: JSONValue = ["subjectKind": "user", "subject": "oidc:agent-7", "verbs": ["delete"], "resources": ["pods"],
                                              "namespaces": ["demo"], "reason": "clean up", "seconds": 600]
                    let grant = try AdminService.grant(from: request, by: .centralRole("alice"), at: StoreClock.now())
                    return try await CentralGrants.issue(grant, lifetimeSeconds: 600, forHost: host, client: reviewer,
                                                         logger: CentralFixture.quietLogger).grant
                }
                let elsewhere = try await grant(for: "runner-b")
                let clock = ContinuousClock()
                let started = clock.now
                let everywhere = try await grant(for: nil)
                try await CentralShippingTests.until { gateway.grants.active(at: StoreClock.now()).contains { $0.id == everywhere.id } }
                #expect(clock.now - started < .seconds(1), "in force within 1 s")
                #expect(!gateway.grants.active(at: StoreClock.now()).contains { $0.id == elsewhere.id })
                let recorded = try StoreReader(gateway.local.database).grants()
                #expect(recorded.map(\.grant.id) == [everywhere.id] && recorded.first?.grant.createdBy == .centralRole("alice"))
                let revokedAt = clock.now
                _ = try await CentralGrants.revoke(id: everywhere.id, reason: "done", client: reviewer, logger: CentralFixture.quietLogger)
                try await CentralShippingTests.until { !gateway.grants.active(at: StoreClock.now()).contains { $0.id == everywhere.id } }
                #expect(clock.now - revokedAt < .seconds(1), "ended within 1 s")
                let after = try StoreReader(gateway.local.database).grants()
                #expect(after.first?.revokedBy == .centralRole("alice") && after.first?.revokeReason == "done")
                #expect(try StoreVerifier.verify(gateway.local.database).isIntact)
            }
        }
    }

    /// runner-a's side of the fleet (its store, queue, grants and fleet task) while `body` runs.
    static func withGateway(_ body: (CentralFixture, Gateway) async throws -> Void) async throws {
        try await CentralFixture.with { fixture in
            let configuration = try fixture.configuration(user: "runner-a", hostName: "runner-a")
            try await fixture.withClient(configuration) { client in
                let gateway = try Gateway(fixture, client: PostgresClientBox(client: client), configuration: configuration)
                defer { gateway.local.close() }
                let task = Task { await gateway.fleet.run() }
                defer { task.cancel() }
                try await body(fixture, gateway)
            }
        }
    }
}

/// Carries a client into a non-async initializer.
struct PostgresClientBox: Sendable {
    let client: PostgresClient
}
