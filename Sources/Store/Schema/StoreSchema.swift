import GRDB

/// The recording's tables, created by versioned migrations.
///
/// Invariants every writer and reader relies on:
/// - The record is **append-only**: rows are inserted, never updated (pruning deletes whole old
///   rows and leaves a checkpoint). A request's response, a connection's end, a stream's chunks are
///   rows of their own that point back at it.
/// - Every row of every chained table has `seq`, unique and increasing across all chained tables
///   (the commit order), and `hash` = SHA-256 over the previous row's hash and this row's canonical
///   content (see ``RecordHasher``). `portcullis verify` walks all chained tables merged by `seq`.
/// - Times are microseconds since the Unix epoch, UTC (`KubeTime.microseconds`).
/// - Secrets are redacted before a row is written: credential headers, and `data`/`stringData` of
///   v1 Secrets in any body or event.
public enum StoreSchema {
    /// The chained tables, in the order their columns are defined below.
    public static let chainedTables = ["connections", "connection_ends", "requests", "responses", "stream_events",
                                       "guard_events", "tamper_events", "checkpoints", "store_outages", "reviews",
                                       "grants", "grant_revocations", "runs"]

    public static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: the recording") { db in
            // A connection the gateway accepted (outcome 'allowed') or refused ('refused').
            try db.execute(sql: """
                CREATE TABLE connections (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    id INTEGER NOT NULL UNIQUE,          -- ConnectionID; refused connections get one too
                    opened_at INTEGER NOT NULL,
                    peer TEXT NOT NULL,                  -- 198.18.0.1:41234
                    original_destination TEXT,           -- 198.18.0.2:6443; NULL when unknown
                    cluster TEXT,
                    outcome TEXT NOT NULL,               -- 'allowed' | 'refused'
                    reason TEXT,                         -- why it was refused
                    uid INTEGER, gid INTEGER, pid INTEGER,
                    executable TEXT, command_line TEXT,  -- command line as a JSON array
                    cgroup TEXT, container_id TEXT,
                    caller_address TEXT, interface TEXT, -- for bridge traffic
                    tls_server_name TEXT                 -- SNI, when the client sent one
                )
                """)
            try db.execute(sql: """
                CREATE TABLE connection_ends (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    connection_id INTEGER NOT NULL UNIQUE,
                    closed_at INTEGER NOT NULL
                )
                """)
            // A request, written (and committed) before it is forwarded or refused.
            try db.execute(sql: """
                CREATE TABLE requests (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    id INTEGER NOT NULL UNIQUE,          -- RequestID
                    connection_id INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    method TEXT NOT NULL, uri TEXT NOT NULL,
                    verb TEXT NOT NULL, api_group TEXT NOT NULL, api_version TEXT NOT NULL,
                    resource TEXT NOT NULL, subresource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                    is_resource_request INTEGER NOT NULL,
                    intent TEXT NOT NULL,                -- "delete namespace prod"
                    audit_id TEXT NOT NULL, user_agent TEXT NOT NULL,
                    username TEXT, groups TEXT,          -- verified identity; groups as a JSON array; NULL if none
                    extra TEXT,                          -- JSON object of arrays
                    issuer TEXT, subject TEXT,
                    headers TEXT NOT NULL,               -- JSON array of [name, value], credentials redacted
                    body BLOB, body_truncated INTEGER NOT NULL,
                    decision TEXT, decision_rule TEXT, decision_reason TEXT   -- policy (later issues); NULL until then
                )
                """)
            try db.execute(sql: "CREATE INDEX requests_by_connection ON requests(connection_id)")
            try db.execute(sql: "CREATE INDEX requests_by_time ON requests(received_at)")
            // How a request ended: the upstream's response, or the gateway's own refusal (rejected = 1).
            // Written once the response ends (or is refused); for streams, when the stream ends.
            try db.execute(sql: """
                CREATE TABLE responses (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    request_id INTEGER NOT NULL UNIQUE,
                    started_at INTEGER, completed_at INTEGER NOT NULL,
                    status_code INTEGER NOT NULL,
                    headers TEXT NOT NULL,               -- JSON array of [name, value]
                    body BLOB, body_truncated INTEGER NOT NULL,   -- gzip decoded, Secrets redacted
                    bytes INTEGER NOT NULL,              -- bytes relayed to the client
                    rejected INTEGER NOT NULL,           -- 1 when the gateway answered itself
                    reason TEXT                          -- why the gateway refused
                )
                """)
            // Stream contents in order: exec/attach channels, watch events, log lines, raw upgrade bytes.
            try db.execute(sql: """
                CREATE TABLE stream_events (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    request_id INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    direction TEXT NOT NULL,             -- 'client_to_upstream' | 'upstream_to_client'
                    channel TEXT NOT NULL,               -- stdin|stdout|stderr|error|resize|close|watch|log|raw
                    data BLOB NOT NULL
                )
                """)
            try db.execute(sql: "CREATE INDEX stream_events_by_request ON stream_events(request_id, seq)")
            try db.execute(sql: """
                CREATE TABLE guard_events (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    at INTEGER NOT NULL,
                    protocol TEXT NOT NULL, source TEXT NOT NULL, source_port INTEGER,
                    destination TEXT NOT NULL, destination_port INTEGER,
                    uid INTEGER, gid INTEGER, pid INTEGER, executable TEXT, command_line TEXT, container_id TEXT,
                    in_interface TEXT, out_interface TEXT,
                    note TEXT
                )
                """)
            try db.execute(sql: """
                CREATE TABLE tamper_events (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    at INTEGER NOT NULL,
                    drift TEXT NOT NULL,                 -- JSON array of strings
                    restored INTEGER NOT NULL,
                    error TEXT
                )
                """)
            // Written by prune: the chain now starts after `pruned_through_seq`, whose hash was `anchor_hash`.
            try db.execute(sql: """
                CREATE TABLE checkpoints (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    at INTEGER NOT NULL,
                    pruned_through_seq INTEGER NOT NULL,
                    anchor_hash BLOB NOT NULL,
                    rows_pruned INTEGER NOT NULL
                )
                """)
        }
        migrator.registerMigration("v2: store outages") { db in
            // Written when the store writes again after it could not (unwritable, full, queue
            // full): when the trouble began, what it was, and what became of the records meanwhile.
            try db.execute(sql: """
                CREATE TABLE store_outages (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    at INTEGER NOT NULL,                 -- when the store wrote again
                    began_at INTEGER NOT NULL,
                    cause TEXT NOT NULL,                 -- the first error, in words
                    refused INTEGER NOT NULL,            -- records whose callers were told they failed
                    recovered INTEGER NOT NULL,          -- of those, kept in memory and written now
                    lost INTEGER NOT NULL                -- kept nowhere: the backlog was full
                )
                """)
        }
        migrator.registerMigration("v3: policy") { db in
            // How a request that a `review` rule held ended. The request's own row says
            // decision = 'review'; this row gives the final decision.
            try db.execute(sql: """
                CREATE TABLE reviews (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    request_id INTEGER NOT NULL UNIQUE,
                    at INTEGER NOT NULL,
                    outcome TEXT NOT NULL,               -- 'approved' | 'denied' | 'timed_out' | 'withdrawn'
                    decision TEXT,                       -- 'allow' | 'deny'; NULL when withdrawn
                    reviewer_uid INTEGER,                -- the local uid that approved or denied
                    reason TEXT
                )
                """)
            // A time-boxed allow; selectors are JSON arrays of strings, empty for "any".
            try db.execute(sql: """
                CREATE TABLE grants (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    id TEXT NOT NULL UNIQUE,             -- g-1a2b3c4d
                    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
                    created_by_uid INTEGER NOT NULL,
                    subject_kind TEXT NOT NULL,          -- 'user' | 'group'
                    subject TEXT NOT NULL,
                    verbs TEXT NOT NULL, api_groups TEXT NOT NULL, resources TEXT NOT NULL,
                    namespaces TEXT NOT NULL, names TEXT NOT NULL, non_resource_urls TEXT NOT NULL,
                    reason TEXT NOT NULL
                )
                """)
            try db.execute(sql: """
                CREATE TABLE grant_revocations (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    grant_id TEXT NOT NULL UNIQUE,
                    at INTEGER NOT NULL,
                    revoked_by_uid INTEGER NOT NULL,
                    reason TEXT
                )
                """)
        }
        migrator.registerMigration("v4: central store") { db in
            // Decisions, grants and revocations made through the central store name the
            // database role that made them instead of a local uid. The new columns are hashed
            // only when set (StoreTable.laterColumns), so older rows verify as before; the uid
            // columns become nullable by rebuilding the two tables with the same column order.
            try db.execute(sql: "ALTER TABLE reviews ADD COLUMN reviewer TEXT")
            try db.execute(sql: """
                CREATE TABLE grants_v4 (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    id TEXT NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
                    created_by_uid INTEGER,              -- the local uid; NULL for a central grant
                    subject_kind TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    verbs TEXT NOT NULL, api_groups TEXT NOT NULL, resources TEXT NOT NULL,
                    namespaces TEXT NOT NULL, names TEXT NOT NULL, non_resource_urls TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    created_by TEXT,                     -- the central role that made it
                    for_host TEXT                        -- the one host a central grant is for; NULL: every host
                )
                """)
            try db.execute(sql: "INSERT INTO grants_v4 SELECT *, NULL, NULL FROM grants")
            try db.execute(sql: "DROP TABLE grants")
            try db.execute(sql: "ALTER TABLE grants_v4 RENAME TO grants")
            try db.execute(sql: """
                CREATE TABLE grant_revocations_v4 (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    grant_id TEXT NOT NULL UNIQUE,
                    at INTEGER NOT NULL,
                    revoked_by_uid INTEGER,              -- NULL when revoked through the central store
                    reason TEXT,
                    revoked_by TEXT                      -- the central role that revoked it
                )
                """)
            try db.execute(sql: "INSERT INTO grant_revocations_v4 SELECT *, NULL FROM grant_revocations")
            try db.execute(sql: "DROP TABLE grant_revocations")
            try db.execute(sql: "ALTER TABLE grant_revocations_v4 RENAME TO grant_revocations")
            // Not chained: how far this store's rows have been shipped to the central store, so
            // that `prune` never removes a row PostgreSQL does not hold yet. One row per host name.
            try db.execute(sql: """
                CREATE TABLE central_progress (
                    host TEXT PRIMARY KEY,               -- central.hostName
                    shipped_seq INTEGER NOT NULL,        -- every row up to here is in PostgreSQL
                    shipped_hash BLOB NOT NULL,
                    updated_at INTEGER NOT NULL
                )
                """)
        }
        registerAttributionAndRuns(&migrator)
        registerRelayMigration(&migrator)
        return migrator
    }
}
