import Logging
import PostgresNIO

/// Creates and upgrades the central schema: every migration this build knows that the database
/// lacks, in order, each recorded in `portcullis.schema_migrations`, all in one transaction under
/// an advisory lock (two operators migrating at once take turns). Running it again changes nothing.
public enum CentralMigrator {
    /// The advisory lock key: "portcull" as 8 bytes.
    static let lockKey: Int64 = 0x706F_7274_6375_6C6C

    static let bootstrap = [
        "CREATE SCHEMA IF NOT EXISTS \(CentralSchema.name)",
        """
        CREATE TABLE IF NOT EXISTS \(CentralSchema.name).schema_migrations (
            version integer PRIMARY KEY, name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL DEFAULT session_user
        )
        """,
    ]

    /// Applies what is missing; returns the migrations it applied (empty when up to date).
    public static func migrate(_ client: PostgresClient, store: String, logger: Logger) async throws(CentralStoreError) -> [CentralSchema.Migration] {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
                for statement in bootstrap { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                var applied: Set<Int> = []
                for try await version in try await connection.query("SELECT version FROM portcullis.schema_migrations",
                                                                    logger: logger).decode(Int.self) {
                    applied.insert(version)
                }
                if let newer = applied.max(), newer > CentralSchema.currentVersion {
                    throw CentralStoreError.schema(store: store, message: "was migrated by a newer Portcullis (schema version \(newer); this one knows up to \(CentralSchema.currentVersion))")
                }
                var done: [CentralSchema.Migration] = []
                for migration in CentralSchema.migrations where !applied.contains(migration.version) {
                    for statement in migration.statements {
                        do {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        } catch {
                            throw explain(error, store: store, migration: migration, statement: statement)
                        }
                    }
                    try await connection.query("INSERT INTO portcullis.schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                                               logger: logger)
                    done.append(migration)
                }
                return done
            }
        } catch {
            throw CentralStoreError.from(error, store: store, doing: "the migration")
        }
    }

    /// The schema version the store has, or nil when `central migrate` never ran there.
    public static func version(_ client: PostgresClient, store: String, logger: Logger) async throws(CentralStoreError) -> Int? {
        do {
            let rows = try await client.query("""
                SELECT (SELECT max(version) FROM portcullis.schema_migrations)
                WHERE to_regclass('portcullis.schema_migrations') IS NOT NULL
                """, logger: logger)
            for try await version in rows.decode(Int?.self) { return version }
            return nil
        } catch {
            throw CentralStoreError.from(error, store: store, doing: "reading the schema version")
        }
    }

    /// Checks that the store has exactly the schema this build writes.
    public static func requireCurrent(_ client: PostgresClient, store: String, logger: Logger) async throws(CentralStoreError) {
        guard let version = try await version(client, store: store, logger: logger) else {
            throw .schema(store: store, message: "has no Portcullis schema: run `portcullis central migrate` with the owner's credentials first")
        }
        if version < CentralSchema.currentVersion {
            throw .schema(store: store, message: "has schema version \(version), this Portcullis needs \(CentralSchema.currentVersion): run `portcullis central migrate`")
        }
        if version > CentralSchema.currentVersion {
            throw .schema(store: store, message: "has schema version \(version), newer than this Portcullis knows (\(CentralSchema.currentVersion)): upgrade portcullis")
        }
    }

    private static func explain(_ error: any Error, store: String, migration: CentralSchema.Migration,
                                statement: String) -> CentralStoreError {
        let base = CentralStoreError.from(error, store: store, doing: "migration \(migration.version) (\(migration.name))")
        if case .permissionDenied(_, let doing, let message) = base, statement.contains("CREATE ROLE") {
            return .permissionDenied(store: store, doing: doing, message: message + "; the roles \(CentralSchema.gatewayRole) and "
                                     + "\(CentralSchema.reviewerRole) must exist first: run the first statements `portcullis central roles` prints as a superuser")
        }
        return base
    }
}
