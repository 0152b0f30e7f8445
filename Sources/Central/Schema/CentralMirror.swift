/// The chained tables the central store mirrors, frozen here as the migrations create them (see
/// ``CentralMirroredTable`` for the invariant that ties them to the local schema).
public enum CentralMirror {
    public static let tables: [CentralMirroredTable] = [
        CentralMirroredTable("connections", [
            ("id", .bigint), ("opened_at", .bigint), ("peer", .text), ("original_destination", .text), ("cluster", .text),
            ("outcome", .text), ("reason", .text), ("uid", .bigint), ("gid", .bigint), ("pid", .bigint), ("executable", .text),
            ("command_line", .text), ("cgroup", .text), ("container_id", .text), ("caller_address", .text), ("interface", .text),
            ("tls_server_name", .text),
        ], indexes: [["id"], ["opened_at"]], later: [
            ("cgroup_id", .bigint, 2), ("unit", .text, 2), ("container_runtime", .text, 2), ("pod_uid", .text, 2), ("gateway", .text, 3),
        ]),
        CentralMirroredTable("connection_ends", [("connection_id", .bigint), ("closed_at", .bigint)], indexes: [["connection_id"]],
                             later: [("reason", .text, 2)]),
        CentralMirroredTable("requests", [
            ("id", .bigint), ("connection_id", .bigint), ("received_at", .bigint), ("method", .text), ("uri", .text), ("verb", .text),
            ("api_group", .text), ("api_version", .text), ("resource", .text), ("subresource", .text), ("namespace", .text),
            ("name", .text), ("is_resource_request", .bigint), ("intent", .text), ("audit_id", .text), ("user_agent", .text),
            ("username", .text), ("groups", .text), ("extra", .text), ("issuer", .text), ("subject", .text), ("headers", .text),
            ("body", .bytea), ("body_truncated", .bigint), ("decision", .text), ("decision_rule", .text), ("decision_reason", .text),
        ], indexes: [["id"], ["connection_id"], ["received_at"]], later: [("run_id", .bigint, 2), ("reported_source", .text, 3)]),
        CentralMirroredTable("responses", [
            ("request_id", .bigint), ("started_at", .bigint), ("completed_at", .bigint), ("status_code", .bigint), ("headers", .text),
            ("body", .bytea), ("body_truncated", .bigint), ("bytes", .bigint), ("rejected", .bigint), ("reason", .text),
        ], indexes: [["request_id"]]),
        CentralMirroredTable("stream_events", [
            ("request_id", .bigint), ("at", .bigint), ("direction", .text), ("channel", .text), ("data", .bytea),
        ], indexes: [["request_id", "seq"]]),
        CentralMirroredTable("guard_events", [
            ("at", .bigint), ("protocol", .text), ("source", .text), ("source_port", .bigint), ("destination", .text),
            ("destination_port", .bigint), ("uid", .bigint), ("gid", .bigint), ("pid", .bigint), ("executable", .text),
            ("command_line", .text), ("container_id", .text), ("in_interface", .text), ("out_interface", .text), ("note", .text),
        ], indexes: [["at"]]),
        CentralMirroredTable("tamper_events", [("at", .bigint), ("drift", .text), ("restored", .bigint), ("error", .text)]),
        CentralMirroredTable("checkpoints", [
            ("at", .bigint), ("pruned_through_seq", .bigint), ("anchor_hash", .bytea), ("rows_pruned", .bigint),
        ]),
        CentralMirroredTable("store_outages", [
            ("at", .bigint), ("began_at", .bigint), ("cause", .text), ("refused", .bigint), ("recovered", .bigint), ("lost", .bigint),
        ]),
        CentralMirroredTable("reviews", [
            ("request_id", .bigint), ("at", .bigint), ("outcome", .text), ("decision", .text), ("reviewer_uid", .bigint),
            ("reason", .text), ("reviewer", .text),
        ], indexes: [["request_id"]]),
        CentralMirroredTable("grants", [
            ("id", .text), ("created_at", .bigint), ("expires_at", .bigint), ("created_by_uid", .bigint), ("subject_kind", .text),
            ("subject", .text), ("verbs", .text), ("api_groups", .text), ("resources", .text), ("namespaces", .text), ("names", .text),
            ("non_resource_urls", .text), ("reason", .text), ("created_by", .text), ("for_host", .text),
        ], indexes: [["id"]]),
        CentralMirroredTable("grant_revocations", [
            ("grant_id", .text), ("at", .bigint), ("revoked_by_uid", .bigint), ("reason", .text), ("revoked_by", .text),
        ], indexes: [["grant_id"]]),
        CentralMirroredTable("runs", [
            ("id", .bigint), ("started_at", .bigint), ("uid", .bigint), ("cgroup_id", .bigint), ("cgroup", .text), ("unit", .text),
            ("container_runtime", .text), ("container_id", .text), ("pod_uid", .text), ("caller_address", .text), ("username", .text),
            ("groups", .text), ("issuer", .text), ("subject", .text), ("token_fingerprint", .text), ("claims", .text),
        ], indexes: [["id"], ["started_at"]], later: [("gateway", .text, 3)], createdIn: 2),
    ]

    /// Indexes a later migration adds to a table it did not create: (table, columns after `host`, migration).
    static let laterIndexes: [(table: String, columns: [String], since: Int)] = [("requests", ["run_id"], 2)]

    public static func table(_ name: String) -> CentralMirroredTable? { tables.first { $0.name == name } }
}
