import GRDB

extension StoreSchema {
    /// v6 (issue 16, the relay): a relay records which gateway each connection (and each run) came
    /// from (its client certificate's name) and, with each request, the agent's source as that gateway
    /// reported it (a JSON object kept as sent: reported, never verified). Both columns are NULL on
    /// a gateway's own record, and are hashed only when set (``StoreTable/laterColumns``), so rows
    /// written before this migration verify as before.
    static func registerRelayMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6: relay") { db in
            try db.execute(sql: "ALTER TABLE connections ADD COLUMN gateway TEXT")
            try db.execute(sql: "ALTER TABLE requests ADD COLUMN reported_source TEXT")
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN gateway TEXT")
        }
    }
}
