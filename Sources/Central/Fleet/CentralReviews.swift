import Foundation
import Kube
import Logging
import PostgresNIO
import Proxy
import Store

/// The review tables of the central store: what gateways hold, and what reviewers decide.
public enum CentralReviews {
    /// A reviewer's decision on a held request.
    public struct Decision: Sendable, Hashable {
        public var requestID: Int64
        public var allow: Bool
        public var reason: String?
        /// The database role that decided (set by the database).
        public var reviewer: String
    }

    /// A request held on some host, as `portcullis pending --central` lists it.
    public struct Pending: Sendable, Hashable {
        public var host: String
        public var requestID: Int64
        public var heldAt: KubeTime
        public var deadline: KubeTime
        public var username: String
        public var groups: [String]
        public var intent: String
        public var bodySummary: String
        public var rule: String
        public var reason: String?

        /// `runner-a/r57`: what `approve` and `deny` take.
        public var reference: String { "\(host)/r\(requestID)" }
    }

    static func insertHeld(_ held: HeldRequest, storeID: Int64, host: String, client: PostgresClient, logger: Logger) async throws {
        let groups = String(decoding: JSONValue.array(held.groups.map(JSONValue.string)).jsonBytes(), as: UTF8.self)
        try await client.query("""
            INSERT INTO portcullis.held_requests (host, request_id, held_at, deadline, username, groups, intent, body_summary, rule, reason)
            VALUES (\(host), \(storeID), \(held.heldAt.microseconds), \(held.deadline.microseconds), \(held.username), \(groups),
                    \(held.intent), \(held.bodySummary), \(held.rule), \(held.reason))
            ON CONFLICT (host, request_id) DO NOTHING
            """, logger: logger)
    }

    static func decisions(host: String, requests: [Int64], client: PostgresClient, logger: Logger) async throws -> [Decision] {
        let rows = try await client.query("""
            SELECT request_id, decision, reason, reviewer FROM portcullis.review_decisions
            WHERE host = \(host) AND request_id = ANY(\(requests))
            """, logger: logger)
        var found: [Decision] = []
        for try await (id, decision, reason, reviewer) in rows.decode((Int64, String, String?, String).self) {
            found.append(Decision(requestID: id, allow: decision == "allow", reason: reason, reviewer: reviewer))
        }
        return found
    }

    /// Requests still waiting: held, before their deadline, with no decision yet and no outcome
    /// shipped from their host. On every host, or on `host`.
    public static func pending(host: String?, client: PostgresClient, logger: Logger) async throws -> [Pending] {
        let now = StoreClock.now().microseconds
        let rows = try await client.query("""
            SELECT h.host, h.request_id, h.held_at, h.deadline, h.username, h.groups, h.intent, h.body_summary, h.rule, h.reason
            FROM portcullis.held_requests h
            WHERE h.deadline > \(now) AND (\(host)::text IS NULL OR h.host = \(host))
              AND NOT EXISTS (SELECT 1 FROM portcullis.review_decisions d WHERE d.host = h.host AND d.request_id = h.request_id)
              AND NOT EXISTS (SELECT 1 FROM portcullis.reviews v WHERE v.host = h.host AND v.request_id = h.request_id)
            ORDER BY h.held_at, h.host, h.request_id
            """, logger: logger)
        var pending: [Pending] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let groups = (try? JSONParser.parse(Array(try r["groups"].decode(String.self).utf8)))?.arrayValue?.compactMap(\.stringValue) ?? []
            pending.append(Pending(host: try r["host"].decode(String.self), requestID: try r["request_id"].decode(Int64.self),
                                   heldAt: KubeTime(microseconds: try r["held_at"].decode(Int64.self)),
                                   deadline: KubeTime(microseconds: try r["deadline"].decode(Int64.self)),
                                   username: try r["username"].decode(String.self), groups: groups, intent: try r["intent"].decode(String.self),
                                   bodySummary: try r["body_summary"].decode(String.self), rule: try r["rule"].decode(String.self),
                                   reason: try r["reason"].decode(String?.self)))
        }
        return pending
    }

    /// Records a decision; the database names the reviewer (the session's login role) and the time.
    /// Returns the decision as stored.
    public static func decide(host: String, requestID: Int64, allow: Bool, reason: String?, client: PostgresClient,
                              logger: Logger) async throws -> Decision {
        let rows = try await client.query("""
            INSERT INTO portcullis.review_decisions (host, request_id, decision, reason, reviewer, decided_at)
            VALUES (\(host), \(requestID), \(allow ? "allow" : "deny"), \(reason), '', 0)
            RETURNING request_id, decision, reason, reviewer
            """, logger: logger)
        for try await (id, decision, reason, reviewer) in rows.decode((Int64, String, String?, String).self) {
            return Decision(requestID: id, allow: decision == "allow", reason: reason, reviewer: reviewer)
        }
        throw CentralStoreError.server(store: "", doing: "recording the decision", sqlState: "?", message: "no row came back")
    }
}
