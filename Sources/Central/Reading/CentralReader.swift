import Foundation
import Kube
import Logging
import NIOCore
import PostgresNIO
import Store

/// Reads the fleet's record out of the central store for `sessions`, `show`, `replay`, `export` and
/// `verify` with `--central`. Needs a role that may read the rows (the reviewer role); a gateway's
/// own role reads back only `seq` and `hash`, enough for ``compare(host:local:)``.
public struct CentralReader: Sendable {
    public let client: PostgresClient
    public let store: String
    public let logger: Logger

    public init(client: PostgresClient, store: String, logger: Logger) {
        self.client = client
        self.store = store
        self.logger = logger
    }

    /// A host that has shipped, with where its shipping stands.
    public struct Host: Sendable, Hashable {
        public var name: String
        public var lastSeq: Int64
        public var lastHash: [UInt8]
        public var lastShippedAt: Int64
        public var rows: Int64
    }

    /// Every host that has shipped (or just `name`), by name.
    public func hosts(named name: String? = nil) async throws(CentralStoreError) -> [Host] {
        do {
            let rows = try await client.query("""
                SELECT DISTINCT ON (host) host, last_seq, last_hash,
                       (extract(epoch from shipped_at) * 1000000)::bigint,
                       (SELECT sum(row_count) FROM portcullis.shipments x WHERE x.host = s.host)::bigint
                FROM portcullis.shipments s WHERE (\(name)::text IS NULL OR host = \(name))
                ORDER BY host, last_seq DESC
                """, logger: logger)
            var hosts: [Host] = []
            for try await (host, seq, hash, at, count) in rows.decode((String, Int64, ByteBuffer, Int64, Int64).self) {
                hosts.append(Host(name: host, lastSeq: seq, lastHash: Array(hash.readableBytesView), lastShippedAt: at, rows: count))
            }
            return hosts
        } catch {
            throw CentralStoreError.from(error, store: store, doing: "listing the hosts that shipped")
        }
    }

    /// A scratch store holding `selection` of `host`'s rows. The caller removes it.
    public func open(host: String, _ selection: CentralSelection) async throws(CentralStoreError) -> CentralScratch {
        let scratch = try CentralScratch(host: host, label: store)
        do {
            _ = try await CentralCopy(client: client, store: store, logger: logger).copy(host: host, selection, into: scratch.database)
        } catch {
            scratch.remove()
            throw error
        }
        return scratch
    }

    /// Where `prune --central` made `host`'s chain start, if it did.
    public func anchor(host: String) async throws(CentralStoreError) -> ChainHead? {
        do {
            let rows = try await client.query("""
                SELECT pruned_through_seq, anchor_hash FROM portcullis.central_checkpoints WHERE host = \(host)
                ORDER BY pruned_through_seq DESC LIMIT 1
                """, logger: logger)
            for try await (seq, hash) in rows.decode((Int64, ByteBuffer).self) { return ChainHead(seq: seq, hash: Array(hash.readableBytesView)) }
            return nil
        } catch {
            throw CentralStoreError.from(error, store: store, doing: "reading host \(host)'s checkpoints")
        }
    }

    /// `seq` and `hash` of `host`'s rows in PostgreSQL with `from <= seq <= through`, in order.
    public func hashes(host: String, from: Int64, through: Int64) async throws(CentralStoreError) -> [(seq: Int64, hash: [UInt8])] {
        let union = "SELECT seq, hash FROM \(CentralSchema.name).chain WHERE host = $1 AND seq BETWEEN $2 AND $3"
        var binds = PostgresBindings()
        binds.append(host)
        binds.append(from)
        binds.append(through)
        do {
            var found: [(seq: Int64, hash: [UInt8])] = []
            let rows = try await client.query(PostgresQuery(unsafeSQL: union + " ORDER BY seq", binds: binds), logger: logger)
            for try await (seq, hash) in rows.decode((Int64, ByteBuffer).self) { found.append((seq, Array(hash.readableBytesView))) }
            return found
        } catch {
            throw CentralStoreError.from(error, store: store, doing: "reading host \(host)'s hashes")
        }
    }
}
