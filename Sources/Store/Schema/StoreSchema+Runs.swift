import GRDB

extension StoreSchema {
    /// v5: who a connection came from, without privileges, and agents' runs (issue 14).
    ///
    /// - `connections` gain the socket's cgroup id and what its path names (unit, container
    ///   runtime, pod); the existing `cgroup` and `container_id` columns now come from the socket's
    ///   cgroup too, not only from `/proc`.
    /// - `connection_ends` gain why a connection ended early (its TLS handshake failed).
    /// - `runs`: one row per run (one agent's stretch of work: one host, uid and cgroup, one
    ///   verified identity and one token, until idle for `store.runIdle`), written with the run's
    ///   first request; `requests.run_id` names each authenticated request's run.
    ///
    /// Every column added to an existing chained table is hashed only when it holds a value
    /// (``StoreTable/laterColumns``), so rows written before this migration verify as before.
    static func registerAttributionAndRuns(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration(runsMigration) { db in
            for column in ["cgroup_id INTEGER", "unit TEXT", "container_runtime TEXT", "pod_uid TEXT"] {
                try db.execute(sql: "ALTER TABLE connections ADD COLUMN \(column)")
            }
            try db.execute(sql: "ALTER TABLE connection_ends ADD COLUMN reason TEXT")
            try db.execute(sql: "ALTER TABLE requests ADD COLUMN run_id INTEGER")
            try db.execute(sql: "CREATE INDEX requests_by_run ON requests(run_id)")
            try db.execute(sql: """
                CREATE TABLE runs (
                    seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                    id INTEGER NOT NULL UNIQUE,          -- run<N>
                    started_at INTEGER NOT NULL,         -- its first request
                    uid INTEGER,
                    cgroup_id INTEGER, cgroup TEXT,      -- the socket's cgroup v2 id and path
                    unit TEXT,                           -- actions-runner.service
                    container_runtime TEXT, container_id TEXT, pod_uid TEXT,
                    caller_address TEXT,                 -- forwarded (bridge) callers
                    username TEXT NOT NULL,
                    groups TEXT NOT NULL,                -- JSON array
                    issuer TEXT NOT NULL, subject TEXT NOT NULL,
                    token_fingerprint TEXT NOT NULL,     -- first 16 hex digits of the token's SHA-256
                    claims TEXT                          -- JSON object: the issuer's runClaims the token holds
                )
                """)
            try db.execute(sql: "CREATE INDEX runs_by_start ON runs(started_at)")
        }
    }

    /// The migration's name, for readers that need runs.
    public static let runsMigration = "v5: attribution and runs"
}
