import Foundation
import GRDB
import Intercept
import Kube
import NIOCore
import NIOPosix
@testable import Proxy
import Store
import Testing
import TestSupport

/// A store in a fresh temporary directory with its writer, recorder and an event loop group.
/// Shared by the writer, recorder, redaction and chain tests.
final class StoreFixture: Sendable {
    let directory: TemporaryDirectory
    let path: String
    let database: StoreDatabase
    let writer: StoreWriter
    let recorder: StoreRecorder
    let group: MultiThreadedEventLoopGroup

    private init(directory: TemporaryDirectory, path: String, database: StoreDatabase, writer: StoreWriter, recorder: StoreRecorder,
                 group: MultiThreadedEventLoopGroup) {
        self.directory = directory
        self.path = path
        self.database = database
        self.writer = writer
        self.recorder = recorder
        self.group = group
    }

    /// The durability every fixture's store opens with: `PORTCULLIS_TEST_STORE_DURABILITY=host`
    /// runs the whole store suite with `synchronous = FULL` (scripts/test.sh runs it both ways).
    static let durability = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_STORE_DURABILITY"].flatMap(StoreDurability.init) ?? .process

    static func make(_ purpose: String = "store", writer writerConfiguration: StoreWriterConfiguration = StoreWriterConfiguration(),
                     recorder recorderConfiguration: StoreRecorderConfiguration = StoreRecorderConfiguration(),
                     loops: Int = 2) throws -> StoreFixture {
        let directory = try TemporaryDirectory.create(purpose: purpose)
        let path = directory.path("recording.sqlite")
        let database = try StoreDatabase.open(path: path, options: StoreDatabase.Options(durability: durability))
        let writer = StoreWriter(database: database, configuration: writerConfiguration)
        let recorder = try StoreRecorder(writer: writer, configuration: recorderConfiguration)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        return StoreFixture(directory: directory, path: path, database: database, writer: writer, recorder: recorder, group: group)
    }

    func close() {
        writer.close()
        try? database.close()
        try? group.syncShutdownGracefully()
        directory.remove()
    }

    var loop: any EventLoop { group.next() }

    /// Records an event and waits for its future.
    func record(_ event: ProxyEvent) throws {
        try recorder.record(event, on: loop).wait()
    }

    func record(_ events: [ProxyEvent]) throws {
        for event in events { try record(event) }
    }

    /// Rows read on a connection of their own (a separate read-only pool).
    func rows(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        var configuration = Configuration()
        configuration.readonly = true
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? reader.close() }
        return try reader.read { try Row.fetchAll($0, sql: sql, arguments: arguments) }
    }

    func count(_ table: String) throws -> Int {
        try rows("SELECT count(*) AS n FROM \(table)")[0]["n"]
    }

    /// Every byte of the database file, its WAL and shared memory.
    func fileBytes() -> [UInt8] {
        ["", "-wal", "-shm"].flatMap { suffix in
            (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path + suffix)))) ?? []
        }
    }
}

/// Events as the proxy sends them.
enum TestEvents {
    static let t0: Int64 = 1_790_000_000_000_000

    static func time(_ offsetMicros: Int64) -> KubeTime { KubeTime(microseconds: t0 + offsetMicros) }

    static func opened(_ id: UInt64, at offset: Int64 = 0) -> ProxyEvent {
        .connectionOpened(ConnectionOpened(
            id: ConnectionID(id), time: time(offset), peer: "127.0.0.1:4\(id)", originalDestination: "198.18.0.2:6443",
            cluster: "prod",
            caller: Caller(uid: 1000, gid: 1000, process: CallerProcess(pid: 4242, executable: "/usr/bin/kubectl",
                                                                         commandLine: ["kubectl", "get", "pods"]))))
    }

    static func request(_ id: UInt64, connection: UInt64 = 1, method: String = "GET", uri: String,
                        headers: [(name: String, value: String)] = [], body: [UInt8] = [], truncated: Bool = false,
                        at offset: Int64 = 10) -> RequestRecord {
        let target = RequestTarget(uri)
        let info = (try? RequestInfoResolver.resolve(method: method, target: target)) ?? RequestInfo(path: target.path, verb: "get")
        return RequestRecord(
            id: RequestID(id), connection: ConnectionID(connection), time: time(offset), method: method, uri: uri, info: info,
            intent: Intent.describe(info, query: target.query), auditID: "audit-\(id)", userAgent: "kubectl/v1.32.5",
            identity: VerifiedIdentity(username: "alice", groups: ["devs"], issuer: "https://issuer.test", subject: "alice-sub"),
            headers: headers, body: body, bodyTruncated: truncated)
    }

    static func received(_ id: UInt64, connection: UInt64 = 1, method: String = "GET", uri: String,
                         headers: [(name: String, value: String)] = [], body: [UInt8] = [], at offset: Int64 = 10) -> ProxyEvent {
        .requestReceived(request(id, connection: connection, method: method, uri: uri, headers: headers, body: body, at: offset))
    }

    /// A full exchange: request, response head, body in the given chunks, completion.
    static func exchange(_ id: UInt64, connection: UInt64 = 1, method: String = "GET", uri: String,
                         requestHeaders: [(name: String, value: String)] = [], requestBody: [UInt8] = [], status: Int = 200,
                         responseHeaders: [(name: String, value: String)] = [("Content-Type", "application/json")],
                         chunks: [[UInt8]], at offset: Int64 = 10) -> [ProxyEvent] {
        var events: [ProxyEvent] = [
            received(id, connection: connection, method: method, uri: uri, headers: requestHeaders, body: requestBody, at: offset),
            .responseStarted(RequestID(id), time: time(offset + 1000), status: status, headers: responseHeaders),
        ]
        events += chunks.map { .responseBody(RequestID(id), bytes: $0) }
        events.append(.responseCompleted(RequestID(id), time: time(offset + 5000), bytes: chunks.reduce(0) { $0 + $1.count }))
        return events
    }
}

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }

    /// Splits into pieces of the given sizes (cycled), for arbitrary chunk boundaries.
    func chunked(_ sizes: [Int]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var index = 0
        var turn = 0
        while index < count {
            let size = Swift.max(1, sizes[turn % sizes.count])
            out.append(Array(self[index..<Swift.min(count, index + size)]))
            index += size
            turn += 1
        }
        return out
    }

    func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

@Suite struct StoreRecorderFixtureTests {
    @Test func chunkingCoversEveryByteOnce() {
        let bytes = [UInt8]("abcdefghij")
        #expect(bytes.chunked([3, 1]).flatMap { $0 } == bytes)
        #expect(bytes.chunked([3, 1]).map(\.count) == [3, 1, 3, 1, 2])
        #expect(bytes.contains(bytes: [UInt8]("def")))
        #expect(!bytes.contains(bytes: [UInt8]("dfe")))
    }
}

extension Row {
    /// Typed column access that keeps test expressions quick to type-check.
    func int(_ column: String) -> Int64? { self[column] }
    func text(_ column: String) -> String? { self[column] }
}
