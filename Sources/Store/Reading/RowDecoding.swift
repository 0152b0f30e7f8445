import Foundation
import GRDB
import Kube

/// Turns rows of the recording's tables into reading models. Column names are the schema's.
enum RowDecoding {
    static let connectionColumns = """
        c.seq, c.id, c.opened_at, e.closed_at, c.peer, c.original_destination, c.cluster, c.outcome, c.reason, \
        c.uid, c.gid, c.pid, c.executable, c.command_line, c.cgroup, c.container_id, c.caller_address, c.interface, \
        c.tls_server_name, c.cgroup_id, c.unit, c.container_runtime, c.pod_uid, e.reason AS end_reason, c.gateway
        """

    static let connectionFrom = "connections c LEFT JOIN connection_ends e ON e.connection_id = c.id"

    static func connection(_ row: Row) -> ConnectionRecord {
        ConnectionRecord(seq: row["seq"], id: row["id"], openedAt: row["opened_at"], closedAt: row["closed_at"], peer: row["peer"],
                         originalDestination: row["original_destination"], cluster: row["cluster"], outcome: row["outcome"],
                         reason: row["reason"], caller: caller(row), callerAddress: row["caller_address"],
                         interface: row["interface"], tlsServerName: row["tls_server_name"], endReason: row["end_reason"])
    }

    static func caller(_ row: Row) -> CallerRecord {
        func optional<T: DatabaseValueConvertible>(_ column: String) -> T? { row.hasColumn(column) ? row[column] : nil }
        return CallerRecord(uid: row["uid"], gid: row["gid"], pid: row["pid"], executable: row["executable"],
                            commandLine: strings(row["command_line"]), cgroup: optional("cgroup"), containerID: row["container_id"],
                            cgroupID: optional("cgroup_id"), unit: optional("unit"), containerRuntime: optional("container_runtime"),
                            podUID: optional("pod_uid"), gateway: optional("gateway"))
    }

    static let runColumns = """
        u.seq, u.id, u.started_at, u.uid, u.cgroup_id, u.cgroup, u.unit, u.container_runtime, u.container_id, u.pod_uid, \
        u.caller_address, u.username, u.groups, u.issuer, u.subject, u.token_fingerprint, u.claims, u.gateway
        """

    static func run(_ row: Row) -> RunRecord {
        let caller = CallerRecord(uid: row["uid"], cgroup: row["cgroup"], containerID: row["container_id"], cgroupID: row["cgroup_id"],
                                  unit: row["unit"], containerRuntime: row["container_runtime"], podUID: row["pod_uid"],
                                  gateway: row.hasColumn("gateway") ? row["gateway"] : nil)
        return RunRecord(seq: row["seq"], id: row["id"], startedAt: row["started_at"], caller: caller, callerAddress: row["caller_address"],
                         username: row["username"], groups: strings(row["groups"]) ?? [], issuer: row["issuer"], subject: row["subject"],
                         tokenFingerprint: row["token_fingerprint"], claims: claims(row["claims"]))
    }

    /// A JSON object of strings.
    static func claims(_ text: String?) -> [String: String] {
        guard let text, let members = (try? JSONParser.parse(text))?.objectValue else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    static func guardEvent(_ row: Row) -> GuardEventRecord {
        GuardEventRecord(seq: row["seq"], at: row["at"], protocol: row["protocol"], source: row["source"],
                         sourcePort: row["source_port"], destination: row["destination"], destinationPort: row["destination_port"],
                         caller: caller(row), inInterface: row["in_interface"], outInterface: row["out_interface"], note: row["note"])
    }

    /// Columns of `requests r`, `responses p` and `connections c`; bodies and headers only when asked
    /// for, except that error and refusal bodies always come (they carry the Status message). With
    /// `objectBodies`, the bodies of creates and updates come too (they name the object).
    static func requestColumns(bodies: Bool, objectBodies: Bool = false) -> String {
        let b = bodies ? "1" : "0"
        let o = objectBodies ? "1" : "0"
        return """
            r.seq, r.id, r.connection_id, r.received_at, r.method, r.uri, r.verb, r.api_group, r.api_version, r.resource, \
            r.subresource, r.namespace, r.name, r.is_resource_request, r.intent, r.audit_id, r.user_agent, r.username, \
            r.groups, r.extra, r.issuer, r.subject, CASE WHEN \(b) THEN r.headers END AS request_headers, \
            CASE WHEN \(b) OR (\(o) AND r.verb IN ('create', 'update')) THEN r.body END AS request_body, r.body_truncated, r.decision, r.decision_rule, r.decision_reason, \
            p.request_id AS response_request_id, p.started_at, p.completed_at, p.status_code, \
            CASE WHEN \(b) THEN p.headers END AS response_headers, \
            CASE WHEN \(b) OR p.status_code >= 400 OR p.rejected = 1 THEN p.body END AS response_body, \
            p.body_truncated AS response_body_truncated, p.bytes, p.rejected, p.reason AS response_reason, \
            c.peer, c.caller_address, c.cluster, r.run_id, c.uid AS caller_uid, c.pid AS caller_pid, c.executable AS caller_executable, \
            c.cgroup AS caller_cgroup, c.cgroup_id AS caller_cgroup_id, c.unit AS caller_unit, \
            c.container_runtime AS caller_container_runtime, c.container_id AS caller_container_id, c.pod_uid AS caller_pod_uid, \
            u.claims AS run_claims, u.token_fingerprint AS run_token_fingerprint, \
            c.gateway, r.reported_source, \
            v.request_id AS review_request_id, v.at AS reviewed_at, v.outcome AS review_outcome, v.decision AS review_decision, \
            v.reviewer_uid, v.reviewer AS reviewer_role, v.reason AS review_reason
            """
    }

    static let requestFrom = """
        requests r LEFT JOIN responses p ON p.request_id = r.id LEFT JOIN connections c ON c.id = r.connection_id \
        LEFT JOIN reviews v ON v.request_id = r.id LEFT JOIN runs u ON u.id = r.run_id
        """

    static func request(_ row: Row) -> RecordedRequest {
        var identity: RecordedIdentity?
        if let username: String = row["username"] {
            identity = RecordedIdentity(username: username, groups: strings(row["groups"]) ?? [], extra: extra(row["extra"]),
                                        issuer: row["issuer"], subject: row["subject"])
        }
        var response: RecordedResponse?
        if (row["response_request_id"] as Int64?) != nil {
            response = RecordedResponse(startedAt: row["started_at"], completedAt: row["completed_at"], statusCode: row["status_code"],
                                        headers: headers(row["response_headers"]), body: bytes(row["response_body"]),
                                        bodyTruncated: row["response_body_truncated"], bytes: row["bytes"], rejected: row["rejected"],
                                        reason: row["response_reason"])
        }
        var review: RecordedReview?
        if (row["review_request_id"] as Int64?) != nil {
            review = RecordedReview(at: row["reviewed_at"], outcome: row["review_outcome"], decision: row["review_decision"],
                                    reviewerUID: row["reviewer_uid"], reviewerRole: row["reviewer_role"], reason: row["review_reason"])
        }
        var request = RecordedRequest(seq: row["seq"], id: row["id"], connectionID: row["connection_id"], receivedAt: row["received_at"],
                               method: row["method"], uri: row["uri"], verb: row["verb"], apiGroup: row["api_group"],
                               apiVersion: row["api_version"], resource: row["resource"], subresource: row["subresource"],
                               namespace: row["namespace"], name: row["name"], isResourceRequest: row["is_resource_request"],
                               intent: row["intent"], auditID: row["audit_id"], userAgent: row["user_agent"], identity: identity,
                               headers: headers(row["request_headers"]), body: bytes(row["request_body"]),
                               bodyTruncated: row["body_truncated"], decision: row["decision"], decisionRule: row["decision_rule"],
                               decisionReason: row["decision_reason"], response: response, peer: row["peer"],
                               callerAddress: row["caller_address"], cluster: row["cluster"])
        request.review = review
        request.runID = row["run_id"]
        request.caller = CallerRecord(uid: row["caller_uid"], pid: row["caller_pid"], executable: row["caller_executable"],
                                      cgroup: row["caller_cgroup"], containerID: row["caller_container_id"], cgroupID: row["caller_cgroup_id"],
                                      unit: row["caller_unit"], containerRuntime: row["caller_container_runtime"], podUID: row["caller_pod_uid"])
        request.runClaims = claims(row["run_claims"])
        request.tokenFingerprint = row["run_token_fingerprint"]
        if row.hasColumn("object_name") { request.objectName = row["object_name"] }
        if row.hasColumn("kubectl_session") { request.kubectlSession = row["kubectl_session"] }
        if row.hasColumn("kubectl_command") { request.kubectlCommand = row["kubectl_command"] }
        request.gateway = row["gateway"]
        request.reportedSource = row["reported_source"]
        return request
    }

    static func streamEvent(_ row: Row) -> StreamEventRecord {
        let direction: String = row["direction"]
        return StreamEventRecord(seq: row["seq"], requestID: row["request_id"], at: row["at"],
                                 direction: StreamEventDirection(rawValue: direction) ?? .upstreamToClient, channel: row["channel"],
                                 data: bytes(row["data"]) ?? [])
    }

    static func bytes(_ data: Data?) -> [UInt8]? { data.map { [UInt8]($0) } }

    /// A JSON array of strings; `nil` for NULL or anything else.
    static func strings(_ text: String?) -> [String]? {
        guard let text, let value = try? JSONParser.parse(text), let items = value.arrayValue else { return nil }
        return items.compactMap(\.stringValue)
    }

    /// A JSON object of string arrays.
    static func extra(_ text: String?) -> [String: [String]] {
        guard let text, let members = (try? JSONParser.parse(text))?.objectValue else { return [:] }
        return members.mapValues { ($0.arrayValue ?? []).compactMap(\.stringValue) }
    }

    /// A JSON array of `[name, value]` pairs.
    static func headers(_ text: String?) -> [RecordedHeader] {
        guard let text, let items = (try? JSONParser.parse(text))?.arrayValue else { return [] }
        return items.compactMap { pair in
            guard let parts = pair.arrayValue, parts.count == 2, let name = parts[0].stringValue, let value = parts[1].stringValue else {
                return nil
            }
            return RecordedHeader(name: name, value: value)
        }
    }
}
