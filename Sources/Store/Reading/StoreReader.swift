import Foundation
import GRDB
import Kube

/// Reads the recording back: sessions, one session's timeline, one request and its stream, and
/// requests in commit order for the export.
///
/// Opened read-only. On a WAL store, readers see a consistent snapshot and never block the
/// gateway's writer; each method reads in one snapshot.
public struct StoreReader: Sendable {
    public let database: any DatabaseReader
    /// Where the store is, for messages.
    public let path: String

    public init(database: any DatabaseReader, path: String) {
        self.database = database
        self.path = path
    }

    /// Reads the store a writer has open (the gateway's own view, such as its grants at start).
    public init(_ database: StoreDatabase) {
        self.init(database: database.pool, path: database.path)
    }

    /// The migration that makes a file a recording.
    public static let requiredMigration = "v1: the recording"

    /// Opens the store at `path` read-only and checks that it holds the recording. Never creates
    /// a file.
    public static func open(path: String) throws(StoreReadError) -> StoreReader {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missing(path: path) }
        guard !isDirectory.boolValue else { throw .unreadable(path: path, message: "it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .unreadable(path: path, message: "permission denied (the store belongs to the gateway's user; run as that user or root)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "portcullis.reader"
        let pool: DatabasePool
        let applied: Set<String>
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            applied = try pool.read { db in try StoreSchema.migrator().appliedIdentifiers(db) }
        } catch let error as DatabaseError {
            throw .unreadable(path: path, message: error.message ?? "\(error.resultCode)")
        } catch {
            throw .unreadable(path: path, message: "\(error)")
        }
        guard applied.contains(requiredMigration) else { throw .notAStore(path: path) }
        // The reading queries are written against the newest schema.
        if let missing = StoreSchema.migrator().migrations.first(where: { !applied.contains($0) }) {
            throw .outdated(path: path, missing: missing)
        }
        return StoreReader(database: pool, path: path)
    }

    // MARK: - Single records

    /// The connection and its requests in commit order; `nil` when there is no such connection.
    public func timeline(connection id: Int64, bodies: Bool = false) throws -> SessionTimeline? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(RowDecoding.connectionColumns) FROM \(RowDecoding.connectionFrom) WHERE c.id = ?",
                                             arguments: [id]) else { return nil }
            let requests = try Row.fetchAll(
                db, sql: "SELECT \(RowDecoding.requestColumns(bodies: bodies)) FROM \(RowDecoding.requestFrom) WHERE r.connection_id = ? ORDER BY r.seq",
                arguments: [id]).map(RowDecoding.request)
            return SessionTimeline(connection: RowDecoding.connection(row),
                                   requests: try requests.map { try Self.withStream($0, db) })
        }
    }

    /// One request with its response and stream summary; `nil` when there is no such request.
    public func request(id: Int64, bodies: Bool = false) throws -> RecordedRequest? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(RowDecoding.requestColumns(bodies: bodies)) FROM \(RowDecoding.requestFrom) WHERE r.id = ?",
                             arguments: [id]).map { try Self.withStream(RowDecoding.request($0), db) }
        }
    }

    /// The connection a request came on, or any connection by id.
    public func connection(id: Int64) throws -> ConnectionRecord? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(RowDecoding.connectionColumns) FROM \(RowDecoding.connectionFrom) WHERE c.id = ?",
                             arguments: [id]).map(RowDecoding.connection)
        }
    }

    /// A guard (bypass) event by its `seq`.
    public func guardEvent(seq: Int64) throws -> GuardEventRecord? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM guard_events WHERE seq = ?", arguments: [seq]).map(RowDecoding.guardEvent)
        }
    }

    /// A request's stream events in commit order: exec/attach channels, watch events, log lines.
    public func streamEvents(request id: Int64) throws -> [StreamEventRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM stream_events WHERE request_id = ? ORDER BY seq", arguments: [id])
                .map(RowDecoding.streamEvent)
        }
    }

    // MARK: - Requests for the export

    /// Up to `limit` requests after commit position `seq`, in commit order, received within the
    /// range (inclusive bounds, microseconds). Page with the last request's `seq`. Without
    /// `bodies`, the bodies of creates and updates still come (the export names objects by them),
    /// and error bodies (they carry the Status).
    public func requests(afterSeq seq: Int64 = 0, limit: Int = 500, since: Int64? = nil, until: Int64? = nil,
                         bodies: Bool = false) throws -> [RecordedRequest] {
        var conditions = ["r.seq > ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [seq]
        if let since {
            conditions.append("r.received_at >= ?")
            arguments.append(since)
        }
        if let until {
            conditions.append("r.received_at <= ?")
            arguments.append(until)
        }
        arguments.append(limit)
        let sql = "SELECT \(RowDecoding.requestColumns(bodies: bodies, objectBodies: true)) FROM \(RowDecoding.requestFrom) WHERE "
            + conditions.joined(separator: " AND ") + " ORDER BY r.seq LIMIT ?"
        return try database.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(RowDecoding.request)
        }
    }

    // MARK: - Stream summaries

    static func withStream(_ request: RecordedRequest, _ db: Database) throws -> RecordedRequest {
        var request = request
        request.stream = try streamSummary(request: request.id, db)
        return request
    }

    static func streamSummary(request id: Int64, _ db: Database) throws -> StreamSummary? {
        let rows = try Row.fetchAll(db, sql: """
            SELECT channel, COUNT(*) AS events, SUM(length(data)) AS bytes, MIN(at) AS first_at, MAX(at) AS last_at
            FROM stream_events WHERE request_id = ? GROUP BY channel
            """, arguments: [id])
        guard !rows.isEmpty else { return nil }
        var channels: [String: StreamSummary.ChannelTotals] = [:]
        var firstAt = Int64.max
        var lastAt = Int64.min
        for row in rows {
            channels[row["channel"]] = StreamSummary.ChannelTotals(events: row["events"], bytes: row["bytes"] ?? 0)
            firstAt = min(firstAt, row["first_at"])
            lastAt = max(lastAt, row["last_at"])
        }
        var summary = StreamSummary(channels: channels, firstAt: firstAt, lastAt: lastAt)
        if let resize = try Data.fetchOne(db, sql: "SELECT data FROM stream_events WHERE request_id = ? AND channel = 'resize' ORDER BY seq LIMIT 1",
                                          arguments: [id]) {
            summary.terminalSize = TerminalSize(json: [UInt8](resize))
        }
        if let error = try Data.fetchOne(db, sql: "SELECT data FROM stream_events WHERE request_id = ? AND channel = 'error' ORDER BY seq DESC LIMIT 1",
                                         arguments: [id]) {
            summary.exitStatus = ErrorChannel.status([UInt8](error))
        }
        return summary
    }
}
