import Foundation
import Kube
import NIOCore
import Synchronization
import Testing
import TestSupport

@testable import Proxy

/// Policy on the forwarding path, with curl as the client and the sandbox as the cluster: denials
/// never reach it, held requests wait for their verdict, and an approval is recorded before the
/// request is forwarded.
@Suite(.serialized)
struct ProxyPolicyTests {
    typealias Rig = ProxyForwardingTests.Rig
    static let token = ["-H", "Authorization: Bearer good-token"]

    static let policy = Policy(defaultEffect: .allow, rules: [
        PolicyRule(id: "no-delete-prod", effect: .deny, verbs: ["delete"], resources: ["namespaces"], names: ["prod"], reason: "never"),
        PolicyRule(id: "deletes-reviewed", effect: .review, verbs: ["delete"], reason: "ask first"),
    ], review: ReviewSettings(timeout: .seconds(60), maxHeld: 2))

    /// Fails only the recording of review verdicts.
    struct VerdictsUnrecorded: ProxyRecorder {
        struct Broken: Error, CustomStringConvertible { var description: String { "the store is not writable" } }
        let inner = InMemoryProxyRecorder()
        func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
            if case .reviewDecided = event { return eventLoop.makeFailedFuture(Broken()) }
            return inner.record(event, on: eventLoop)
        }
    }

    static func waitForHeld(_ rig: Rig) async throws -> HeldRequest {
        for _ in 0..<200 {
            if let held = rig.reviews.pending().first { return held }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw HarnessError("no request was held")
    }

    static func delete(_ rig: Rig, _ name: String) throws -> ChildProcess {
        try ChildProcess.launch("/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", "DELETE"] + token
                                + [rig.proxyURL + "/api/v1/namespaces/\(name)"])
    }

    @Test func aDenialIsA403NamingTheRuleAndNeverReachesTheCluster() async throws {
        try await ProxyForwardingTests.withRig(policy: Self.policy) { rig in
            let (status, body) = try await ProxyForwardingTests.curl(["-X", "DELETE"] + Self.token + [rig.proxyURL + "/api/v1/namespaces/prod"])
            #expect(status == 403)
            let reply = try Status(json: JSONParser.parse(body))
            #expect(reply.message == #"portcullis: delete on namespaces "prod" denied by rule no-delete-prod: never"#)
            #expect(reply.reason == "Forbidden" && reply.details?.name == "prod" && reply.details?.kind == "namespaces")
            try await ProxyForwardingTests.expectNothingReachedTheCluster(rig)
            let received = rig.recorder.events.compactMap { if case .requestReceived(let r) = $0 { r } else { nil } }
            #expect(received.last?.decision == PolicyDecision(effect: .deny, source: .rule("no-delete-prod"), reason: "never"))
        }
    }

    @Test func anApprovedRequestIsForwardedAfterItsApprovalIsRecorded() async throws {
        try await ProxyForwardingTests.withRig(policy: Self.policy) { rig in
            let create = try await ProxyForwardingTests.curl(Self.token + ["-H", "Content-Type: application/json", "-d",
                                                                           #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"scratch"}}"#,
                                                                           rig.proxyURL + "/api/v1/namespaces"])
            #expect(create.status == 201)
            let curl = try Self.delete(rig, "scratch")
            let held = try await Self.waitForHeld(rig)
            #expect(held.intent == "delete namespace scratch" && held.username == "oidc:alice" && held.rule == "deletes-reviewed")
            #expect(held.reason == "ask first" && held.deadline.microseconds - held.heldAt.microseconds == 60_000_000)
            #expect(rig.reviews.decide(held.id, .approved(by: .uid(1001), reason: "fine")))
            #expect(try await curl.waitForExit(timeout: .seconds(10)) == .exited(0))
            #expect(curl.standardOutput.hasSuffix("\n200"), "\(curl.report)")
            _ = try await rig.sandbox.auditLog.waitForEvent { $0.verb == "delete" && $0.objectRef?.name == "scratch" }
            let kinds = rig.recorder.events.compactMap { event -> String? in
                switch event {
                case .reviewDecided(_, _, .approved(.uid(1001), "fine")): "approved"
                case .responseStarted: "response"
                default: nil
                }
            }
            #expect(kinds.suffix(2) == ["approved", "response"], "the approval is recorded before the request goes on")
        }
    }

    @Test func anApprovalThatCannotBeRecordedIsNotForwarded() async throws {
        let recorder = VerdictsUnrecorded()
        try await ProxyForwardingTests.withRig(recorder: recorder, policy: Self.policy) { rig in
            let curl = try Self.delete(rig, "default")
            let held = try await Self.waitForHeld(rig)
            rig.reviews.decide(held.id, .approved(by: .uid(0), reason: nil))
            #expect(try await curl.waitForExit(timeout: .seconds(10)) == .exited(0))
            #expect(curl.standardOutput.hasSuffix("\n503"), "\(curl.report)")
            try await ProxyForwardingTests.expectNothingReachedTheCluster(rig)
        }
    }

    @Test func aClientThatLeavesWithdrawsItsHeldRequest() async throws {
        try await ProxyForwardingTests.withRig(policy: Self.policy) { rig in
            let curl = try Self.delete(rig, "default")
            _ = try await Self.waitForHeld(rig)
            curl.kill()
            for _ in 0..<200 where !rig.recorder.events.contains(where: { if case .reviewDecided(_, _, .withdrawn) = $0 { true } else { false } }) {
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(rig.recorder.events.contains { if case .reviewDecided(_, _, .withdrawn) = $0 { true } else { false } })
            #expect(rig.reviews.pending().isEmpty)
            try await ProxyForwardingTests.expectNothingReachedTheCluster(rig)
        }
    }
}
