import GRDB

/// The last row of the chain: the highest `seq` over every chained table and its hash. The next
/// row gets `seq + 1` and chains to `hash`. An empty store's head is seq 0 with ``RecordHasher/genesis``.
public struct ChainHead: Sendable, Hashable {
    public var seq: Int64
    public var hash: [UInt8]

    public init(seq: Int64, hash: [UInt8]) {
        self.seq = seq
        self.hash = hash
    }

    public static let genesis = ChainHead(seq: 0, hash: RecordHasher.genesis)

    /// Reads the head inside the caller's transaction.
    public static func read(_ db: Database) throws -> ChainHead {
        var best: (seq: Int64, table: String)?
        for table in StoreTable.all {
            guard let seq = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM \(table.name)") else { continue }
            if let current = best, current.seq >= seq { continue }
            best = (seq, table.name)
        }
        guard let best else { return .genesis }
        let hash = try [UInt8].fetchHash(db, table: best.table, seq: best.seq)
        return ChainHead(seq: best.seq, hash: hash ?? RecordHasher.genesis)
    }
}

extension Array where Element == UInt8 {
    static func fetchHash(_ db: Database, table: String, seq: Int64) throws -> [UInt8]? {
        guard let value = try DatabaseValue.fetchOne(db, sql: "SELECT hash FROM \(table) WHERE seq = ?", arguments: [seq]) else {
            return nil
        }
        return StoreValue(value).blobValue
    }
}
