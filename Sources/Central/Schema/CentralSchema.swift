/// The central store's schema (`portcullis` in the database), created and upgraded by versioned
/// migrations that `portcullis central migrate` applies (``CentralMigrator``).
///
/// Invariants the rest of the module relies on:
/// - Every mirrored table holds each host's rows exactly as the host committed them (same `seq`,
///   `hash` and values); (`host`, `seq`) is unique across all of them (`chain`), and shipping is
///   in `seq` order.
/// - Nobody but the owner may UPDATE or DELETE anything: the gateway role may INSERT rows for the
///   host names `gateway_hosts` lets it use (row-level security) and read back only `host`, `seq`
///   and `hash` of those; the reviewer role reads everything and writes decisions, grants and
///   revocations, whose author and time the database sets itself (triggers), never the client.
/// - A decision, grant or revocation notifies channel ``notificationChannel`` with `reviews HOST` or
///   `grants HOST` (`*` for every host).
public enum CentralSchema {
    /// The PostgreSQL schema every table lives in.
    public static let name = "portcullis"
    public static let gatewayRole = "portcullis_gateway"
    public static let reviewerRole = "portcullis_reviewer"
    public static let notificationChannel = "portcullis_fleet"

    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var statements: [String]
    }

    public static var migrations: [Migration] { [version1, version2, version3] }

    /// The newest version this build knows.
    public static var currentVersion: Int { migrations.map(\.version).max() ?? 0 }

    static let micros = "(extract(epoch from clock_timestamp()) * 1000000)::bigint"

    static var version1: Migration {
        var statements = [roles, chain]
        for table in CentralMirror.tables where table.createdIn == 1 {
            statements.append(table.createStatement())
            statements += table.indexStatements()
        }
        statements += fleetTables + triggers + security
        return Migration(version: 1, name: "the fleet record, reviews and grants", statements: statements)
    }

    /// Attribution without privileges and agents' runs (issue 14): the columns the local store's
    /// migration v5 adds, and the `runs` table with its row security.
    static var version2: Migration {
        var statements: [String] = []
        for table in CentralMirror.tables {
            statements += table.addedColumnStatements(in: 2)
            if table.createdIn == 2 {
                statements.append(table.createStatement())
                statements += table.indexStatements()
                statements += mirroredTableSecurity(table)
            }
        }
        for index in CentralMirror.laterIndexes where index.since == 2 {
            statements.append("CREATE INDEX \(index.table)_by_\(index.columns.joined(separator: "_")) ON \(name).\(index.table) (host, \(index.columns.joined(separator: ", ")))")
        }
        return Migration(version: 2, name: "caller attribution and runs", statements: statements)
    }

    /// Row security of a mirrored table: the reviewer reads everything, a gateway inserts and
    /// reads back (only `host`, `seq` and `hash`) the rows of its own host names.
    static func mirroredTableSecurity(_ table: CentralMirroredTable) -> [String] {
        let t = table.qualifiedName
        return [
            "ALTER TABLE \(t) ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY reviewer_reads ON \(t) FOR SELECT TO \(reviewerRole) USING (true)",
            "GRANT SELECT ON \(t) TO \(reviewerRole)",
            "CREATE POLICY gateway_writes ON \(t) FOR INSERT TO \(gatewayRole) WITH CHECK (\(name).gateway_may_write(host))",
            "GRANT INSERT ON \(t) TO \(gatewayRole)",
            "CREATE POLICY gateway_reads ON \(t) FOR SELECT TO \(gatewayRole) USING (\(name).gateway_may_write(host))",
            // A gateway reads back only what shipping needs: never a body, never another host's rows.
            "GRANT SELECT (host, seq, hash) ON \(t) TO \(gatewayRole)",
        ]
    }

    /// The two group roles, created when missing (needs CREATEROLE; `central roles` prints them).
    static let roles = """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(gatewayRole)') THEN CREATE ROLE \(gatewayRole) NOLOGIN; END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(reviewerRole)') THEN CREATE ROLE \(reviewerRole) NOLOGIN; END IF;
        END $$
        """

    /// One row per (`host`, `seq`) of every host's chain, naming the table that holds it and its
    /// hash: (`host`, `seq`) is unique across all mirrored tables, and a shipment that finds a
    /// different row at one of its `seq`s knows it at once, whatever table holds it.
    static let chain = """
        CREATE TABLE \(name).chain (
            host text NOT NULL, seq bigint NOT NULL, hash bytea NOT NULL, table_name text NOT NULL,
            PRIMARY KEY (host, seq),
            UNIQUE (host, seq, table_name, hash)
        )
        """

    static let fleetTables = [
        // One row per shipment: the seq range it carried and the hash of its last row. The
        // newest row per host is where that host's shipping resumes, and the head verify compares.
        """
        CREATE TABLE \(name).shipments (
            host text NOT NULL, first_seq bigint NOT NULL, last_seq bigint NOT NULL, last_hash bytea NOT NULL,
            row_count integer NOT NULL, shipped_at timestamptz NOT NULL DEFAULT now(),
            shipped_by text NOT NULL DEFAULT session_user,
            PRIMARY KEY (host, last_seq)
        )
        """,
        // Which host names each gateway login role may write: a name or a LIKE pattern ('ci-%').
        """
        CREATE TABLE \(name).gateway_hosts (
            role_name text NOT NULL, host_pattern text NOT NULL,
            PRIMARY KEY (role_name, host_pattern)
        )
        """,
        // Requests a gateway holds for review, as `portcullis pending` shows them.
        """
        CREATE TABLE \(name).held_requests (
            host text NOT NULL, request_id bigint NOT NULL,
            held_at bigint NOT NULL, deadline bigint NOT NULL,
            username text NOT NULL, groups text NOT NULL, intent text NOT NULL, body_summary text NOT NULL,
            rule text NOT NULL, reason text,
            PRIMARY KEY (host, request_id)
        )
        """,
        """
        CREATE TABLE \(name).review_decisions (
            host text NOT NULL, request_id bigint NOT NULL,
            decision text NOT NULL CHECK (decision IN ('allow', 'deny')), reason text,
            reviewer text NOT NULL, decided_at bigint NOT NULL,
            PRIMARY KEY (host, request_id),
            FOREIGN KEY (host, request_id) REFERENCES \(name).held_requests (host, request_id)
        )
        """,
        // Grants made through the central store; for_host NULL: every host.
        """
        CREATE TABLE \(name).fleet_grants (
            id text PRIMARY KEY CHECK (id ~ '^g-[0-9a-f]{8}$'), for_host text,
            subject_kind text NOT NULL CHECK (subject_kind IN ('user', 'group')), subject text NOT NULL,
            verbs text NOT NULL, api_groups text NOT NULL, resources text NOT NULL, namespaces text NOT NULL,
            names text NOT NULL, non_resource_urls text NOT NULL, reason text NOT NULL,
            lifetime_seconds integer NOT NULL CHECK (lifetime_seconds BETWEEN 1 AND 604800),
            created_at bigint NOT NULL, expires_at bigint NOT NULL, created_by text NOT NULL
        )
        """,
        """
        CREATE TABLE \(name).fleet_revocations (
            grant_id text PRIMARY KEY REFERENCES \(name).fleet_grants (id), reason text,
            revoked_at bigint NOT NULL, revoked_by text NOT NULL
        )
        """,
        // Where each host's chain starts in the central store after `prune --central`.
        """
        CREATE TABLE \(name).central_checkpoints (
            host text NOT NULL, pruned_through_seq bigint NOT NULL, anchor_hash bytea NOT NULL,
            rows_pruned bigint NOT NULL, pruned_at timestamptz NOT NULL DEFAULT now(),
            pruned_by text NOT NULL DEFAULT session_user,
            PRIMARY KEY (host, pruned_through_seq)
        )
        """,
    ]

    static let triggers = [
        // May the session's login role write rows for host `h`? (SECURITY DEFINER: gateways need
        // not read gateway_hosts; session_user is the login role, whatever role is set.)
        """
        CREATE FUNCTION \(name).gateway_may_write(h text) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            SELECT EXISTS (
                SELECT 1 FROM \(name).gateway_hosts g JOIN pg_roles r ON r.rolname = g.role_name
                WHERE pg_has_role(session_user, r.oid, 'MEMBER') AND h LIKE g.host_pattern)
        $$
        """,
        // The database, not the client, says who decided and when; a decision needs a request that
        // still waits.
        """
        CREATE FUNCTION \(name).stamp_decision() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE waiting bigint;
        BEGIN
            NEW.reviewer := session_user;
            NEW.decided_at := \(micros);
            SELECT deadline INTO waiting FROM \(name).held_requests WHERE host = NEW.host AND request_id = NEW.request_id;
            IF waiting IS NULL THEN
                RAISE EXCEPTION 'no request r% is held on host %', NEW.request_id, NEW.host USING ERRCODE = 'P0002';
            END IF;
            IF waiting < NEW.decided_at THEN
                RAISE EXCEPTION 'request r% on host % is no longer waiting: its review timed out', NEW.request_id, NEW.host
                    USING ERRCODE = 'P0001';
            END IF;
            IF EXISTS (SELECT 1 FROM \(name).reviews WHERE host = NEW.host AND request_id = NEW.request_id) THEN
                RAISE EXCEPTION 'request r% on host % was already decided there', NEW.request_id, NEW.host USING ERRCODE = 'P0001';
            END IF;
            RETURN NEW;
        END $$
        """,
        "CREATE TRIGGER stamp BEFORE INSERT ON \(name).review_decisions FOR EACH ROW EXECUTE FUNCTION \(name).stamp_decision()",
        """
        CREATE FUNCTION \(name).stamp_grant() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.created_by := session_user;
            NEW.created_at := \(micros);
            NEW.expires_at := NEW.created_at + NEW.lifetime_seconds::bigint * 1000000;
            RETURN NEW;
        END $$
        """,
        "CREATE TRIGGER stamp BEFORE INSERT ON \(name).fleet_grants FOR EACH ROW EXECUTE FUNCTION \(name).stamp_grant()",
        """
        CREATE FUNCTION \(name).stamp_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.revoked_by := session_user;
            NEW.revoked_at := \(micros);
            RETURN NEW;
        END $$
        """,
        "CREATE TRIGGER stamp BEFORE INSERT ON \(name).fleet_revocations FOR EACH ROW EXECUTE FUNCTION \(name).stamp_revocation()",
        """
        CREATE FUNCTION \(name).notify_review() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('\(notificationChannel)', 'reviews ' || NEW.host);
            RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER notify AFTER INSERT ON \(name).review_decisions FOR EACH ROW EXECUTE FUNCTION \(name).notify_review()",
        """
        CREATE FUNCTION \(name).notify_grant() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('\(notificationChannel)', 'grants ' || coalesce(NEW.for_host, '*'));
            RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER notify AFTER INSERT ON \(name).fleet_grants FOR EACH ROW EXECUTE FUNCTION \(name).notify_grant()",
        """
        CREATE FUNCTION \(name).notify_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('\(notificationChannel)', 'grants ' || coalesce(
                (SELECT for_host FROM \(name).fleet_grants WHERE id = NEW.grant_id), '*'));
            RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER notify AFTER INSERT ON \(name).fleet_revocations FOR EACH ROW EXECUTE FUNCTION \(name).notify_revocation()",
    ]

    /// Privileges and row-level security: see the type's invariants.
    static var security: [String] {
        let gateway = gatewayRole, reviewer = reviewerRole
        var statements = [
            "GRANT USAGE ON SCHEMA \(name) TO \(gateway), \(reviewer)",
            "GRANT SELECT ON \(name).schema_migrations TO \(gateway), \(reviewer)",
        ]
        func rowSecurity(_ table: String, gatewayInserts: Bool, gatewayReads: String?, reviewerWrites: Bool) {
            let t = "\(name).\(table)"
            statements.append("ALTER TABLE \(t) ENABLE ROW LEVEL SECURITY")
            statements.append("CREATE POLICY reviewer_reads ON \(t) FOR SELECT TO \(reviewer) USING (true)")
            statements.append("GRANT SELECT ON \(t) TO \(reviewer)")
            if reviewerWrites {
                statements.append("CREATE POLICY reviewer_writes ON \(t) FOR INSERT TO \(reviewer) WITH CHECK (true)")
                statements.append("GRANT INSERT ON \(t) TO \(reviewer)")
            }
            if gatewayInserts {
                statements.append("CREATE POLICY gateway_writes ON \(t) FOR INSERT TO \(gateway) WITH CHECK (\(name).gateway_may_write(host))")
                statements.append("GRANT INSERT ON \(t) TO \(gateway)")
            }
            if let condition = gatewayReads {
                statements.append("CREATE POLICY gateway_reads ON \(t) FOR SELECT TO \(gateway) USING (\(condition))")
            }
        }
        for table in CentralMirror.tables where table.createdIn == 1 {
            statements += mirroredTableSecurity(table)
        }
        rowSecurity("chain", gatewayInserts: true, gatewayReads: "\(name).gateway_may_write(host)", reviewerWrites: false)
        statements.append("GRANT SELECT ON \(name).chain TO \(gateway)")
        rowSecurity("shipments", gatewayInserts: true, gatewayReads: "\(name).gateway_may_write(host)", reviewerWrites: false)
        statements.append("GRANT SELECT ON \(name).shipments TO \(gateway)")
        rowSecurity("held_requests", gatewayInserts: true, gatewayReads: "\(name).gateway_may_write(host)", reviewerWrites: false)
        statements.append("GRANT SELECT ON \(name).held_requests TO \(gateway)")
        rowSecurity("review_decisions", gatewayInserts: false, gatewayReads: "\(name).gateway_may_write(host)", reviewerWrites: true)
        statements.append("GRANT SELECT ON \(name).review_decisions TO \(gateway)")
        rowSecurity("fleet_grants", gatewayInserts: false, gatewayReads: "for_host IS NULL OR \(name).gateway_may_write(for_host)",
                    reviewerWrites: true)
        statements.append("GRANT SELECT ON \(name).fleet_grants TO \(gateway)")
        rowSecurity("fleet_revocations", gatewayInserts: false, gatewayReads: "true", reviewerWrites: true)
        statements.append("GRANT SELECT ON \(name).fleet_revocations TO \(gateway)")
        rowSecurity("central_checkpoints", gatewayInserts: false, gatewayReads: "\(name).gateway_may_write(host)", reviewerWrites: false)
        statements.append("GRANT SELECT ON \(name).central_checkpoints TO \(gateway)")
        statements.append("GRANT SELECT ON \(name).gateway_hosts TO \(reviewer)")
        return statements
    }
}
