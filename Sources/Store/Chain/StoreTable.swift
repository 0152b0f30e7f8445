/// A chained table of the recording: its columns as ``StoreSchema`` defines them, without `seq`
/// and `hash`, in schema order.
///
/// Invariant: ``columns`` equals the table's columns in the database after `seq` and `hash`;
/// ``StoreDatabase`` checks it when it opens a store, so a migration that changes a table cannot
/// silently change what the chain hashes.
public struct StoreTable: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    /// Every column except `seq` and `hash`, in schema order.
    public let columns: [String]
    /// The column that says when the row's event happened; pruning compares it.
    public let timeColumn: String
    /// The column naming the record the row belongs to (`id`, `request_id`, ...), for messages.
    public let recordColumn: String?
    /// Columns added to the table after it was first chained (by a later migration). They are
    /// hashed only when they hold a value, so rows written before they existed still verify.
    public let laterColumns: Set<String>
    /// For each of ``columns``: whether a NULL is hashed (false for ``laterColumns``).
    let hashesNull: [Bool]
    /// Each column's position, so building a row by names costs one lookup per column.
    private let positions: [String: Int]

    init(_ name: String, time: String, record: String?, _ columns: [String], later: [String] = []) {
        self.name = name
        self.columns = columns + later
        self.timeColumn = time
        self.recordColumn = record
        self.laterColumns = Set(later)
        self.hashesNull = columns.map { _ in true } + later.map { _ in false }
        self.positions = Dictionary(uniqueKeysWithValues: (columns + later).enumerated().map { ($1, $0) })
    }

    public var description: String { name }

    /// The index of `column` in ``columns``.
    public func index(of column: String) -> Int? { positions[column] }

    public static let connections = StoreTable("connections", time: "opened_at", record: "id", [
        "id", "opened_at", "peer", "original_destination", "cluster", "outcome", "reason", "uid", "gid", "pid",
        "executable", "command_line", "cgroup", "container_id", "caller_address", "interface", "tls_server_name",
    ], later: ["cgroup_id", "unit", "container_runtime", "pod_uid", "gateway"])
    public static let connectionEnds = StoreTable("connection_ends", time: "closed_at", record: "connection_id", [
        "connection_id", "closed_at",
    ], later: ["reason"])
    public static let requests = StoreTable("requests", time: "received_at", record: "id", [
        "id", "connection_id", "received_at", "method", "uri", "verb", "api_group", "api_version", "resource",
        "subresource", "namespace", "name", "is_resource_request", "intent", "audit_id", "user_agent", "username",
        "groups", "extra", "issuer", "subject", "headers", "body", "body_truncated", "decision", "decision_rule",
        "decision_reason",
    ], later: ["run_id", "reported_source"])
    public static let responses = StoreTable("responses", time: "completed_at", record: "request_id", [
        "request_id", "started_at", "completed_at", "status_code", "headers", "body", "body_truncated", "bytes",
        "rejected", "reason",
    ])
    public static let streamEvents = StoreTable("stream_events", time: "at", record: "request_id", [
        "request_id", "at", "direction", "channel", "data",
    ])
    public static let guardEvents = StoreTable("guard_events", time: "at", record: nil, [
        "at", "protocol", "source", "source_port", "destination", "destination_port", "uid", "gid", "pid",
        "executable", "command_line", "container_id", "in_interface", "out_interface", "note",
    ])
    public static let tamperEvents = StoreTable("tamper_events", time: "at", record: nil, [
        "at", "drift", "restored", "error",
    ])
    public static let checkpoints = StoreTable("checkpoints", time: "at", record: nil, [
        "at", "pruned_through_seq", "anchor_hash", "rows_pruned",
    ])
    public static let storeOutages = StoreTable("store_outages", time: "at", record: nil, [
        "at", "began_at", "cause", "refused", "recovered", "lost",
    ])

    public static let reviews = StoreTable("reviews", time: "at", record: "request_id", [
        "request_id", "at", "outcome", "decision", "reviewer_uid", "reason",
    ], later: ["reviewer"])
    public static let grants = StoreTable("grants", time: "created_at", record: "id", [
        "id", "created_at", "expires_at", "created_by_uid", "subject_kind", "subject", "verbs", "api_groups", "resources",
        "namespaces", "names", "non_resource_urls", "reason",
    ], later: ["created_by", "for_host"])
    public static let grantRevocations = StoreTable("grant_revocations", time: "at", record: "grant_id", [
        "grant_id", "at", "revoked_by_uid", "reason",
    ], later: ["revoked_by"])

    public static let runs = StoreTable("runs", time: "started_at", record: "id", [
        "id", "started_at", "uid", "cgroup_id", "cgroup", "unit", "container_runtime", "container_id", "pod_uid", "caller_address",
        "username", "groups", "issuer", "subject", "token_fingerprint", "claims",
    ], later: ["gateway"])

    /// Every chained table, in ``StoreSchema/chainedTables`` order.
    public static let all: [StoreTable] = [
        connections, connectionEnds, requests, responses, streamEvents, guardEvents, tamperEvents, checkpoints, storeOutages,
        reviews, grants, grantRevocations, runs,
    ]

    public static func named(_ name: String) -> StoreTable? { all.first { $0.name == name } }
}
