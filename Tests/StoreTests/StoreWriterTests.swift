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

/// The writer: durable settings, private files, clear open errors, ordered group commits from many
/// event loops, futures that complete only after commit, and failing fast (then recovering, with
/// the backlog and an outage row) when the store cannot be written or its queue is full.
@Suite struct StoreWriterTests {
    static func tamperRow(_ label: String, at second: Int64 = 1) -> StoreRow {
        StoreRow(.tamperEvents, ["at": .integer(second * 1_000_000), "drift": .text("[\"\(label)\"]"), "restored": .integer(1)])
    }

    /// Waits (polling, with a deadline) until `condition` holds.
    func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () throws -> Bool) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        Issue.record("timed out waiting until \(what)")
    }

    func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int).flatMap { $0 }
    }

    @Test func eachDurabilityOpensWithItsSetting() throws {
        let directory = try TemporaryDirectory.create(purpose: "durability")
        defer { directory.remove() }
        for (durability, expected) in [(StoreDurability.process, 1), (.host, 2)] {
            let database = try StoreDatabase.open(path: directory.path("\(durability).sqlite"), options: StoreDatabase.Options(durability: durability))
            defer { try? database.close() }
            #expect(try database.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == expected, "\(durability)")
            #expect(database.durability == durability)
        }
    }

    @Test func opensDurableWithPrivateFiles() throws {
        let old = umask(0o022)
        defer { umask(old) }
        let f = try StoreFixture.make("writer-open")
        defer { f.close() }
        try f.writer.append([Self.tamperRow("x")], on: f.loop).wait()
        let (synchronous, journal) = try f.database.pool.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        let expected = StoreFixture.durability == .host ? 2 : 1
        #expect(synchronous == expected, "synchronous must be \(StoreFixture.durability.rawValue == "host" ? "FULL" : "NORMAL") for durability \(StoreFixture.durability)")
        #expect(journal == "wal")
        for suffix in ["", "-wal", "-shm"] {
            #expect(mode(f.path + suffix) == 0o600, "mode of \(f.path + suffix)")
        }
    }

    @Test func anExistingWorldReadableStoreIsRestricted() throws {
        let directory = try TemporaryDirectory.create(purpose: "writer-mode")
        defer { directory.remove() }
        let path = directory.path("recording.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
        let database = try StoreDatabase.open(path: path)
        try database.close()
        #expect(mode(path) == 0o600)
    }

    @Test func openErrorsNameThePathAndTheProblem() throws {
        let directory = try TemporaryDirectory.create(purpose: "writer-errors")
        defer { directory.remove() }
        func failure(_ path: String) -> StoreOpenError? {
            do {
                let database = try StoreDatabase.open(path: path)
                try? database.close()
                return nil
            } catch {
                return error
            }
        }
        let missing = directory.path("no/such/dir/recording.sqlite")
        let error1 = try #require(failure(missing))
        #expect(error1.description.contains(missing) && error1.description.contains("does not exist"))

        let notDB = try directory.write(String(repeating: "not a database\n", count: 200), to: "garbage.sqlite")
        let error2 = try #require(failure(notDB))
        #expect(error2.description.contains(notDB), "\(error2)")

        let readOnly = directory.path("ro.sqlite")
        try StoreDatabase.open(path: readOnly).close()
        #expect(chmod(readOnly, 0o400) == 0)
        let error3 = try #require(failure(readOnly))
        #expect(error3.description.contains(readOnly) && error3.description.contains("read-only"), "\(error3)")

        let aDirectory = try directory.makeDirectory("adir")
        let error4 = try #require(failure(aDirectory))
        #expect(error4.description.contains(aDirectory) && error4.description.contains("not a regular file"))

        if geteuid() != 0 {
            let locked = try directory.makeDirectory("locked")
            #expect(chmod(locked, 0o500) == 0)
            let error5 = try #require(failure(locked + "/recording.sqlite"))
            #expect(error5.description.contains(locked) && error5.description.contains("not writable"), "\(error5)")
        }
    }

    @Test func tenThousandRecordsFromSeveralLoopsCommitInOrder() throws {
        let f = try StoreFixture.make("writer-10k", loops: 4)
        defer { f.close() }
        let producers = 8
        let perProducer = 1_250
        let clock = ContinuousClock()
        let start = clock.now
        let futures = (0..<producers).map { p -> EventLoopFuture<[Void]> in
            let loop = f.group.next()
            return loop.flatSubmit {
                let all = (0..<perProducer).map { i in f.writer.append([Self.tamperRow("\(p)-\(i)")], on: loop) }
                return EventLoopFuture.whenAllSucceed(all, on: loop)
            }
        }
        for future in futures { _ = try future.wait() }
        let elapsed = clock.now - start
        let rows = try f.rows("SELECT seq, drift FROM tamper_events ORDER BY seq")
        #expect(rows.count == producers * perProducer)
        #expect(rows.map { $0["seq"] as Int64 } == Array(1...Int64(producers * perProducer)))
        var last = [Int](repeating: -1, count: producers)
        for row in rows {
            let label = (try JSONParser.parse(row["drift"] as String)).arrayValue?.first?.stringValue ?? ""
            let parts = label.split(separator: "-").compactMap { Int($0) }
            try #require(parts.count == 2)
            #expect(parts[1] == last[parts[0]] + 1, "producer \(parts[0])'s records out of order")
            last[parts[0]] = parts[1]
        }
        let stats = f.writer.statistics
        #expect(stats.rowsCommitted == producers * perProducer)
        #expect(stats.commits < producers * perProducer / 10, "group commit batches (\(stats.commits) commits)")
        #expect(try StoreVerifier.verify(f.database).isIntact)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("store writer: \(producers * perProducer) records in \(elapsed), \(Int(Double(producers * perProducer) / seconds)) rows/s, "
              + "\(stats.commits) commits, last commit \(stats.lastCommitLatency), max commit \(stats.maxCommitLatency)")
    }

    /// One record at a time (an idle gateway): what a request waits for its record, with and
    /// without the group-commit window.
    @Test func aLoneRecordCommitsWithinTheWindowPlusOneFsync() throws {
        for delay in [Duration.zero, .milliseconds(2)] {
            let f = try StoreFixture.make("writer-latency", writer: StoreWriterConfiguration(batchDelay: delay))
            defer { f.close() }
            let clock = ContinuousClock()
            var waits: [Duration] = []
            for i in 0..<50 {
                let start = clock.now
                try f.writer.append([Self.tamperRow("\(i)")], on: f.loop).wait()
                waits.append(clock.now - start)
            }
            waits.sort()
            let stats = f.writer.statistics
            #expect(stats.commits == 50)
            #expect(waits[25] < .milliseconds(250), "median wait \(waits[25])")
            print("store writer, batch delay \(delay): median wait \(waits[25]), p90 \(waits[45]), last commit \(stats.lastCommitLatency)")
        }
    }

    @Test func groupCommitTakesEverythingPendingInOneTransaction() throws {
        let f = try StoreFixture.make("writer-batch", writer: StoreWriterConfiguration(batchDelay: .milliseconds(200)))
        defer { f.close() }
        let futures = (0..<100).map { f.writer.append([Self.tamperRow("\($0)")], on: f.loop) }
        for future in futures { try future.wait() }
        let stats = f.writer.statistics
        #expect(stats.commits <= 2 && stats.rowsCommitted == 100, "\(stats)")
    }

    @Test func aRequestIsReadableFromAnotherConnectionWhenItsFutureCompletes() throws {
        let f = try StoreFixture.make("writer-durable")
        defer { f.close() }
        try f.record(TestEvents.opened(1))
        var configuration = Configuration()
        configuration.readonly = true
        let reader = try DatabaseQueue(path: f.path, configuration: configuration)
        defer { try? reader.close() }
        let futures = (0..<200).map { i -> EventLoopFuture<Int> in
            let id = UInt64(10 + i)
            return f.recorder.record(TestEvents.received(id, uri: "/api/v1/namespaces/demo/pods/p\(i)"), on: f.loop).map {
                (try? reader.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM requests WHERE id = ?", arguments: [Int64(id)]) }) ?? 0
            }
        }
        let seen = try futures.map { try $0.wait() }
        #expect(seen == Array(repeating: 1, count: 200))
    }

    @Test func aReadOnlyStoreFailsFastThenRecoversAndRecordsTheRefusals() throws {
        let f = try StoreFixture.make("writer-readonly", writer: StoreWriterConfiguration(retryInterval: .milliseconds(50)))
        defer { f.close() }
        try f.record(TestEvents.opened(1))
        #expect(chmod(f.path, 0o400) == 0)
        let clock = ContinuousClock()
        let start = clock.now
        // The proxy's flow: the request cannot be recorded, so it answers 503 and records that.
        let failure = try #require(throws: StoreWriteError.self) {
            try f.recorder.record(TestEvents.received(2, uri: "/api/v1/namespaces/demo/pods"), on: f.loop).wait()
        }
        #expect(failure.description.contains(f.path) && failure.description.contains("read-only"), "\(failure)")
        #expect(clock.now - start < .seconds(2), "the failure must come at once")
        let status = Status.serviceUnavailable("portcullis: the request could not be recorded, so it was not forwarded: \(failure)")
        let rejected = f.recorder.record(.requestRejected(RequestID(2), time: TestEvents.time(20), status: status,
                                                          reason: "the request could not be recorded: \(failure)"), on: f.loop)
        #expect(throws: StoreWriteError.self) { try rejected.wait() }
        let second = clock.now
        #expect(throws: StoreWriteError.self) {
            try f.recorder.record(TestEvents.received(3, uri: "/api/v1/namespaces/demo/pods"), on: f.loop).wait()
        }
        #expect(clock.now - second < .milliseconds(500), "while unavailable, refusals are immediate")
        f.recorder.record(.bypassAttempt(BypassAttempt(time: TestEvents.time(30), flow: Flow(
            transport: .tcp, source: .v4(10, 0, 0, 9), sourcePort: 5555, destination: .v4(198, 18, 0, 2), destinationPort: 6443),
            caller: Caller(uid: 1001))))
        #expect(f.writer.statistics.unavailableReason?.contains("read-only") == true)
        #expect(try f.count("requests") == 0)

        #expect(chmod(f.path, 0o600) == 0)
        try eventually("the store writes again") { f.writer.statistics.isAvailable && f.writer.statistics.backlogDepth == 0 }
        try f.writer.sync()
        let requests = try f.rows("SELECT id FROM requests ORDER BY seq").map { $0["id"] as Int64 }
        #expect(requests == [2, 3])
        let response = try #require(try f.rows("SELECT * FROM responses WHERE request_id = 2").first)
        #expect(response.int("rejected") == 1 && response.int("status_code") == 503)
        #expect(try f.count("guard_events") == 1)
        let outage = try #require(try f.rows("SELECT * FROM store_outages").first)
        #expect((outage["cause"] as String).contains("read-only"))
        #expect(outage.int("refused") == 4 && outage.int("recovered") == 4 && outage.int("lost") == 0, "\(outage)")
        // The outage row comes first, then the records in the order they happened.
        let order = try f.rows("""
            SELECT 'outage' AS t, seq FROM store_outages UNION ALL SELECT 'request', seq FROM requests
            UNION ALL SELECT 'response', seq FROM responses UNION ALL SELECT 'guard', seq FROM guard_events ORDER BY seq
            """).map { $0["t"] as String }
        #expect(order == ["outage", "request", "response", "request", "guard"])
        #expect(try StoreVerifier.verify(f.database).isIntact)
        try f.record(TestEvents.received(4, uri: "/api/v1/namespaces/demo/pods"))
    }

    @Test func aRemovedStoreFileFailsFastAndRecoversWhenItIsBack() throws {
        let f = try StoreFixture.make("writer-removed", writer: StoreWriterConfiguration(retryInterval: .milliseconds(50)))
        defer { f.close() }
        try f.writer.append([Self.tamperRow("before")], on: f.loop).wait()
        let aside = f.path + ".aside"
        #expect(rename(f.path, aside) == 0)
        let failure = try #require(throws: StoreWriteError.self) {
            try f.writer.append([Self.tamperRow("during")], on: f.loop).wait()
        }
        #expect(failure.description.contains(f.path) && failure.description.contains("gone"), "\(failure)")
        #expect(rename(aside, f.path) == 0)
        try eventually("the store writes again") { f.writer.statistics.isAvailable && f.writer.statistics.backlogDepth == 0 }
        #expect(try f.rows("SELECT drift FROM tamper_events ORDER BY seq").map { $0["drift"] as String } == ["[\"before\"]", "[\"during\"]"])
        #expect(try f.count("store_outages") == 1)
        #expect(try StoreVerifier.verify(f.database).isIntact)
    }

    @Test func aFullQueueFailsFastInsteadOfBlockingAndItsBacklogIsBounded() throws {
        let configuration = StoreWriterConfiguration(queueCapacity: 5, batchDelay: .milliseconds(300), backlogCapacity: 2,
                                                     retryInterval: .milliseconds(50))
        let f = try StoreFixture.make("writer-full", writer: configuration)
        defer { f.close() }
        let accepted = (0..<5).map { f.writer.append([Self.tamperRow("ok \($0)")], on: f.loop) }
        let clock = ContinuousClock()
        let start = clock.now
        let refused = (0..<4).map { f.writer.append([Self.tamperRow("over \($0)")], on: f.loop) }
        var errors: [StoreWriteError] = []
        for future in refused {
            #expect(throws: StoreWriteError.self) {
                do { try future.wait() } catch let error as StoreWriteError {
                    errors.append(error)
                    throw error
                }
            }
        }
        #expect(clock.now - start < .milliseconds(200), "refusals must not wait for the batch window")
        #expect(errors == [.queueFull(capacity: 5, kept: true), .queueFull(capacity: 5, kept: true),
                           .queueFull(capacity: 5, kept: false), .queueFull(capacity: 5, kept: false)])
        for future in accepted { try future.wait() }
        try eventually("the outage is recorded") { try f.count("store_outages") == 1 }
        let outage = try f.rows("SELECT * FROM store_outages")[0]
        #expect(outage.int("refused") == 4 && outage.int("recovered") == 2 && outage.int("lost") == 2, "\(outage)")
        #expect((outage["cause"] as String).contains("queue was full"))
        #expect(try f.count("tamper_events") == 7)
        #expect(f.writer.statistics.lostRecords == 2)
        #expect(try StoreVerifier.verify(f.database).isIntact)
    }

    @Test func aRecordTheDatabaseRefusesDoesNotHoldUpTheOthers() throws {
        let f = try StoreFixture.make("writer-reject", writer: StoreWriterConfiguration(batchDelay: .milliseconds(50)))
        defer { f.close() }
        let end = StoreRow(.connectionEnds, ["connection_id": .integer(7), "closed_at": .integer(1)])
        let first = f.writer.append([end], on: f.loop)
        let duplicate = f.writer.append([end], on: f.loop)
        let other = f.writer.append([Self.tamperRow("other")], on: f.loop)
        try first.wait()
        #expect(throws: StoreWriteError.self) { try duplicate.wait() }
        try other.wait()
        #expect(f.writer.statistics.rejectedRecords == 1 && f.writer.statistics.isAvailable)
        #expect(try StoreVerifier.verify(f.database).isIntact)
    }

    @Test func aClosedWriterRefusesAndCompletesEverything() throws {
        let f = try StoreFixture.make("writer-close")
        defer { f.close() }
        let pending = f.writer.append([Self.tamperRow("last")], on: f.loop)
        f.writer.close()
        try pending.wait()
        #expect(throws: StoreWriteError.closed(path: f.path)) { try f.writer.append([Self.tamperRow("late")], on: f.loop).wait() }
    }

    @Test(.enabled(if: Privileges.shouldRunRootTests, "needs root to mount a small tmpfs"))
    func aFullDiskFailsFastAndRecoversWhenSpaceIsFreed() throws {
        let directory = try TemporaryDirectory.create(purpose: "writer-enospc")
        defer { directory.remove() }
        let mountPoint = try directory.makeDirectory("fs")
        let tmpfs = try TmpfsMount.mount(at: mountPoint, bytes: 4 << 20, owner: geteuid())
        defer { tmpfs.unmount() }
        let database = try StoreDatabase.open(path: mountPoint + "/recording.sqlite", options: StoreDatabase.Options(durability: StoreFixture.durability))
        let writer = StoreWriter(database: database, configuration: StoreWriterConfiguration(retryInterval: .milliseconds(50)))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer {
            writer.close()
            try? database.close()
            try? group.syncShutdownGracefully()
        }
        let loop = group.next()
        try writer.append([Self.tamperRow("before")], on: loop).wait()
        try tmpfs.fill()
        let big = StoreRow(.streamEvents, ["request_id": .integer(1), "at": .integer(1), "direction": .text("upstream_to_client"),
                                           "channel": .text("stdout"), "data": .blob([UInt8](repeating: 7, count: 256 * 1024))])
        #expect(throws: StoreWriteError.self) { try writer.append([big], on: loop).wait() }
        #expect(writer.statistics.unavailableReason != nil)
        try tmpfs.free()
        try eventually("the store writes again") { writer.statistics.isAvailable && writer.statistics.backlogDepth == 0 }
        try writer.append([Self.tamperRow("after")], on: loop).wait()
        let counts = try database.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM stream_events"), try Int.fetchOne(db, sql: "SELECT count(*) FROM store_outages"))
        }
        #expect(counts.0 == 1 && counts.1 == 1)
        #expect(try StoreVerifier.verify(database).isIntact)
    }
}
