extension CentralSchema {
    /// Migration 3 (issue 16, the relay): the columns local stores gained with their own v6
    /// migration, `connections.gateway` and `requests.reported_source` (``CentralMirror``'s
    /// columns with `since: 3`). Rows shipped before it hold NULL there, as they did locally.
    static var version3: Migration {
        var statements: [String] = []
        for table in CentralMirror.tables { statements += table.addedColumnStatements(in: 3) }
        return Migration(version: 3, name: "relays: the gateway of a relay's connection, and the agent's source as it reported it",
                         statements: statements)
    }
}
