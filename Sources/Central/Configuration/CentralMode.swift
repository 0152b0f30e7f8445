/// When a gateway's requests wait for the central store.
public enum CentralMode: String, Sendable, Hashable, CaseIterable {
    /// Rows ship after their local commit; the agent never waits for PostgreSQL.
    case async
    /// A request is forwarded only once its record is committed in PostgreSQL too; while
    /// PostgreSQL cannot be reached, requests get 503 and nothing is forwarded.
    case required
}
