import Logging
import NIOCore
import PostgresNIO
import Store

/// Where shipping resumes: the last row PostgreSQL holds for a host, checked against the local store.
enum CentralHead {
    /// The last shipped `seq` and hash for `host`, or nil before its first shipment.
    static func shipped(_ client: PostgresClient, host: String, store: String, logger: Logger) async throws(CentralStoreError) -> ChainHead? {
        do {
            let rows = try await client.query("""
                SELECT last_seq, last_hash FROM portcullis.shipments WHERE host = \(host) ORDER BY last_seq DESC LIMIT 1
                """, logger: logger)
            for try await (seq, hash) in rows.decode((Int64, ByteBuffer).self) {
                return ChainHead(seq: seq, hash: Array(hash.readableBytesView))
            }
            return nil
        } catch {
            throw CentralStoreError.from(error, store: store, doing: "reading where shipping stopped")
        }
    }

    /// The head to ship after. Without a shipment yet, just before the first local row (after a
    /// checkpoint when the store was pruned before it was shipped). With one, its row must be in
    /// the local store with the same hash (or, when pruned since, be what `central_progress` says).
    static func resume(from remote: ChainHead?, database: StoreDatabase, committed: ChainHead, host: String,
                       store: String) throws -> ChainHead {
        guard let remote else {
            let first = try ChainSlice.read(database, after: 0, through: committed.seq, maxRows: 1, maxBytes: 1).first
            return ChainHead(seq: (first?.seq ?? committed.seq + 1) - 1, hash: RecordHasher.genesis)
        }
        if remote.seq > committed.seq {
            throw CentralStoreError.conflict(store: store, host: host, message: """
                it holds rows through seq \(remote.seq), but this store ends at seq \(committed.seq): another gateway uses \
                the host name \(host), or this store was replaced; give this gateway its own central.hostName
                """)
        }
        if let local = try ChainSlice.read(database, after: remote.seq - 1, through: remote.seq, maxRows: 1, maxBytes: 1).first {
            guard local.hash == remote.hash else {
                throw CentralStoreError.conflict(store: store, host: host, message: """
                    its row at seq \(remote.seq) has hash \(hex(remote.hash).prefix(16))…, the local one \(hex(local.hash).prefix(16))…: \
                    another gateway uses the host name \(host), or the local record was rewritten after it was shipped
                    """)
            }
            return remote
        }
        // That row was pruned locally since it was shipped: nothing left to compare it with.
        return remote
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }
}
