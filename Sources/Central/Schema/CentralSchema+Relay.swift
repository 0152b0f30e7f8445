extension CentralSchema {
    /// Migration 2 (issue 16, the relay): the columns local stores gained with their own v5
    /// migration, `connections.gateway` and `requests.reported_source` (``CentralMirror``'s
    /// columns with `since: 2`). Rows shipped before it hold NULL there, as they did locally.
    static var version2: Migration {
        var statements: [String] = []
        for table in CentralMirror.tables {
            for column in table.columns where column.since == 2 {
                statements.append("ALTER TABLE \(table.qualifiedName) ADD COLUMN \(column.name) \(column.type.rawValue)")
            }
        }
        return Migration(version: 2, name: "relays: the gateway of a relay's connection, and the agent's source as it reported it",
                         statements: statements)
    }
}
