import GRDB
import Proxy
import Synchronization

/// Turns the proxy's per-process connection and request numbers into ids unique in the store,
/// and numbers refused connections (which the proxy does not number): -1, -2, ... continuing
/// below the lowest refused id already stored, so they never meet the proxy's numbers.
final class RecordedIdentifiers: Sendable {
    private let base: Int64
    private let nextRefused: Atomic<Int64>

    init(database: StoreDatabase, mapping: StoreRecorderConfiguration.IdentifierMapping) throws {
        let (highest, lowest) = try database.pool.read { db -> (Int64, Int64) in
            let highest = try Int64.fetchOne(db, sql: """
                SELECT max(m) FROM (
                    SELECT max(id) AS m FROM connections UNION ALL SELECT max(connection_id) FROM connection_ends
                    UNION ALL SELECT max(id) FROM requests UNION ALL SELECT max(request_id) FROM responses
                    UNION ALL SELECT max(request_id) FROM stream_events)
                """) ?? 0
            let lowest = try Int64.fetchOne(db, sql: "SELECT min(id) FROM connections") ?? 0
            return (highest, lowest)
        }
        base = mapping == .asGiven ? 0 : max(0, highest)
        nextRefused = Atomic(min(0, lowest) - 1)
    }

    func connection(_ id: ConnectionID) -> Int64 { base + Int64(truncatingIfNeeded: id.value) }
    func request(_ id: RequestID) -> Int64 { base + Int64(truncatingIfNeeded: id.value) }
    func refusedConnection() -> Int64 { nextRefused.wrappingSubtract(1, ordering: .relaxed).oldValue }
}
