import Kube
import Logging
import NIOCore
import PostgresNIO
import Store

/// `prune --central`: deletes each host's oldest rows from the central store, keeping every host's
/// chain verifiable: the rows deleted are a prefix of the host's chain (everything before its first
/// row at or after the cutoff, and never its last row), and `central_checkpoints` records the last
/// deleted row's `seq` and hash, where `verify --central` starts. A host whose chain does not verify
/// is left alone: that would erase the evidence. Needs the owner's role (nobody else may DELETE).
public struct CentralPruner: Sendable {
    public let reader: CentralReader

    public init(reader: CentralReader) {
        self.reader = reader
    }

    public struct Outcome: Sendable {
        public var host: String
        public var rowsPruned: Int
        public var prunedThroughSeq: Int64?
        /// Why the host was left alone.
        public var refused: String?
    }

    public func prune(_ host: CentralReader.Host, olderThan cutoff: KubeTime) async throws(CentralStoreError) -> Outcome {
        let verification = try await CentralVerifier(reader: reader).verify(host)
        guard verification.isIntact, let report = verification.report else {
            let why = verification.report?.problem.map { "\($0)" } ?? verification.tailProblem ?? verification.contentSkipped ?? "it does not verify"
            return Outcome(host: host.name, rowsPruned: 0, prunedThroughSeq: nil, refused: "its record does not verify (\(why)); keep it as evidence")
        }
        guard let last = report.lastSeq else { return Outcome(host: host.name, rowsPruned: 0, prunedThroughSeq: nil, refused: nil) }
        do {
            return try await reader.client.withTransaction(logger: reader.logger) { connection in
                var keepFrom = last
                for table in CentralMirror.tables {
                    guard let local = StoreTable.named(table.name) else { continue }
                    let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                        SELECT min(seq) FROM \(table.qualifiedName) WHERE host = $1 AND \(local.timeColumn) >= $2
                        """, binds: Self.binds(host.name, cutoff.microseconds)), logger: reader.logger)
                    for try await seq in rows.decode(Int64?.self) { if let seq { keepFrom = min(keepFrom, seq) } }
                }
                let through = keepFrom - 1
                guard through >= (report.firstSeq ?? last) else {
                    return Outcome(host: host.name, rowsPruned: 0, prunedThroughSeq: nil, refused: nil)
                }
                let hashes = try await reader.hashes(host: host.name, from: through, through: through)
                guard let anchor = hashes.first?.hash else {
                    throw CentralStoreError.server(store: reader.store, doing: "pruning host \(host.name)", sqlState: "-",
                                                   message: "no row at seq \(through) to anchor the rest")
                }
                var pruned = 0
                for table in CentralMirror.tables {
                    let result = try await connection.query(PostgresQuery(unsafeSQL: """
                        WITH gone AS (DELETE FROM \(table.qualifiedName) WHERE host = $1 AND seq <= $2 RETURNING 1) SELECT count(*) FROM gone
                        """, binds: Self.binds(host.name, through)), logger: reader.logger)
                    for try await count in result.decode(Int64.self) { pruned += Int(count) }
                }
                try await connection.query("DELETE FROM portcullis.chain WHERE host = \(host.name) AND seq <= \(through)", logger: reader.logger)
                try await connection.query("""
                    INSERT INTO portcullis.central_checkpoints (host, pruned_through_seq, anchor_hash, rows_pruned)
                    VALUES (\(host.name), \(through), \(ByteBuffer(bytes: anchor)), \(Int64(pruned)))
                    """, logger: reader.logger)
                try await connection.query("""
                    DELETE FROM portcullis.review_decisions d USING portcullis.held_requests h
                    WHERE d.host = h.host AND d.request_id = h.request_id AND h.host = \(host.name) AND h.deadline < \(cutoff.microseconds)
                    """, logger: reader.logger)
                try await connection.query("""
                    DELETE FROM portcullis.held_requests WHERE host = \(host.name) AND deadline < \(cutoff.microseconds)
                    """, logger: reader.logger)
                return Outcome(host: host.name, rowsPruned: pruned, prunedThroughSeq: through, refused: nil)
            }
        } catch {
            throw CentralStoreError.from(error, store: reader.store, doing: "pruning host \(host.name)")
        }
    }

    private static func binds(_ host: String, _ value: Int64) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(host)
        binds.append(value)
        return binds
    }
}
