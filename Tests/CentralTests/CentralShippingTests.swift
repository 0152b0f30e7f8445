import Central
import Foundation
import Kube
import Logging
import NIOCore
import PostgresNIO
import Store
import Testing
import TestSupport

/// Shipping to a real PostgreSQL: every row in seq order, unchanged; idempotent; nothing lost
/// through an outage; conflicts stop it; `required` waits for it.
@Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
struct CentralShippingTests {
    /// Runs the shipper until `condition` holds (or 20 s pass).
    static func ship(_ shipper: CentralShipper, until condition: @escaping @Sendable () -> Bool) async throws {
        let task = Task { await shipper.run() }
        defer { task.cancel() }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while !condition() {
            guard clock.now < deadline else {
                throw HarnessError("shipping did not finish: \(shipper.status())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        task.cancel()
        await task.value
    }

    static func shipper(_ fixture: CentralFixture, _ client: PostgresClient, _ local: LocalStore,
                        _ configuration: CentralConfiguration) -> CentralShipper {
        CentralShipper(configuration: configuration, client: client, database: local.database, committed: local.writer.committed,
                       logger: CentralFixture.quietLogger)
    }

    @Test("every row ships in seq order with its hash and values unchanged; the copy verifies, and shipping again adds nothing")
    func shipsEveryRowUnchanged() async throws {
        try await CentralFixture.with { fixture in
            let local = try LocalStore(fixture.group)
            defer { local.close() }
            try local.recordSession(1, requests: 30)
            let head = local.head
            let gateway = try fixture.configuration(user: "runner-a", hostName: "runner-a")
            try await fixture.withClient(gateway) { client in
                let shipper = Self.shipper(fixture, client, local, gateway)
                try await Self.ship(shipper) { shipper.status().shippedSeq == head.seq }
                #expect(shipper.status().rowsBehind == 0 && shipper.status().lastError == nil)
            }
            let counts = try fixture.superuserRows("""
                SELECT (SELECT count(*) FROM portcullis.requests WHERE host = 'runner-a'), (SELECT count(*) FROM portcullis.responses WHERE host = 'runner-a'),
                       (SELECT max(last_seq) FROM portcullis.shipments WHERE host = 'runner-a')
                """)
            #expect(counts == ["30|30|\(head.seq)"])
            // Byte for byte: the reviewer's copy verifies with the same head as the local chain.
            let reviewer = try fixture.configuration(user: "alice", hostName: "reviewer")
            try await fixture.withClient(reviewer) { client in
                let reader = CentralReader(client: client, store: "test", logger: CentralFixture.quietLogger)
                let hosts = try await reader.hosts()
                #expect(hosts.map(\.name) == ["runner-a"] && hosts.first?.lastHash == head.hash)
                let result = try await CentralVerifier(reader: reader).verify(try #require(hosts.first), local: local.database)
                #expect(result.isIntact, "\(result)")
                #expect(result.report?.head == head.hash && result.report?.rowsChecked == Int(head.seq))
                #expect(result.local?.rowsCompared == Int(head.seq) && result.local?.difference == nil)
            }
            // A second shipper (a restart) starts where PostgreSQL stands and adds nothing.
            try await fixture.withClient(gateway) { client in
                let shipper = Self.shipper(fixture, client, local, gateway)
                try await Self.ship(shipper) { shipper.status().shippedSeq == head.seq && shipper.status().reachable }
                #expect(shipper.status().rowsShipped == 0)
            }
            #expect(try fixture.superuserRows("SELECT count(*), count(DISTINCT seq) FROM portcullis.requests") == ["30|30"])
            // central_progress lets prune keep what is not shipped.
            let progress = try ShippingProgress.entries(local.database)
            #expect(progress.map(\.host) == ["runner-a"] && progress.first?.head.seq == head.seq)
        }
    }

    @Test("a row already in PostgreSQL under this host with another hash stops shipping with a conflict naming it")
    func conflictStopsShipping() async throws {
        try await CentralFixture.with { fixture in
            let local = try LocalStore(fixture.group)
            defer { local.close() }
            try local.recordSession(1, requests: 3)
            // Another gateway (the shared ci role) claims seq 2 of ci-7 first.
            let other = try fixture.psql(CentralSecurityTests.insertRow(host: "ci-7", seq: 2), as: "ci")
            #expect(other.status.isSuccess, "\(other)")
            let gateway = try fixture.configuration(user: "ci", hostName: "ci-7")
            try await fixture.withClient(gateway) { client in
                let shipper = Self.shipper(fixture, client, local, gateway)
                try await Self.ship(shipper) { shipper.status().lastError != nil }
                let status = shipper.status()
                #expect(status.shippedSeq == 0 || status.shippedSeq < local.head.seq)
                #expect(status.lastError?.contains("holds a different record for host ci-7") == true, "\(status)")
                #expect(status.lastError?.contains("seq 2 (local requests)") == true, "\(status)")
            }
            #expect(try fixture.superuserRows("SELECT count(*) FROM portcullis.requests WHERE host = 'ci-7'") == ["0"])
        }
    }

    @Test("through a server outage nothing is lost: rows wait locally and ship, with no gap, once it is back")
    func outageLosesNothing() async throws {
        try await CentralFixture.with { fixture in
            let local = try LocalStore(fixture.group)
            defer { local.close() }
            try local.recordSession(1, requests: 5)
            let gateway = try fixture.configuration(user: "runner-a", hostName: "runner-a")
            try await fixture.withClient(gateway) { client in
                let shipper = Self.shipper(fixture, client, local, gateway)
                let task = Task { await shipper.run() }
                defer { task.cancel() }
                let first = local.head.seq
                try await Self.until { shipper.status().shippedSeq == first }
                try fixture.cluster.stop(fast: false)
                try local.recordSession(2, requests: 20, from: 100)
                try await Self.until { shipper.status().lastError != nil }
                #expect(!shipper.status().reachable && shipper.status().rowsBehind > 0)
                #expect(shipper.status().oldestUnshippedAt != nil)
                try fixture.cluster.restart()
                let last = local.head.seq
                try await Self.until(timeout: .seconds(30)) { shipper.status().shippedSeq == last }
                #expect(shipper.status().reachable)
            }
            let seqs = try fixture.superuserRows("""
                SELECT count(*), min(seq), max(seq) FROM (
                  SELECT seq FROM portcullis.connections WHERE host = 'runner-a' UNION ALL SELECT seq FROM portcullis.requests WHERE host = 'runner-a'
                  UNION ALL SELECT seq FROM portcullis.responses WHERE host = 'runner-a' UNION ALL SELECT seq FROM portcullis.connection_ends WHERE host = 'runner-a') s
                """)
            #expect(seqs == ["\(local.head.seq)|1|\(local.head.seq)"], "no gap, no duplicate")
        }
    }

    @Test("required mode: a request's wait ends once its row is in PostgreSQL, fails at once while the server is down, and after the timeout")
    func requiredWaits() async throws {
        try await CentralFixture.with { fixture in
            let local = try LocalStore(fixture.group)
            defer { local.close() }
            try local.recordSession(1, requests: 2)
            let gateway = try fixture.configuration(user: "runner-a", hostName: "runner-a", mode: .required)
            try await fixture.withClient(gateway) { client in
                let shipper = Self.shipper(fixture, client, local, gateway)
                let task = Task { await shipper.run() }
                defer { task.cancel() }
                try await shipper.waitShipped(through: local.head.seq, on: local.loop).get()
                #expect(shipper.status().shippedSeq >= local.head.seq)
                try fixture.cluster.stop(fast: true)
                try local.recordSession(2, requests: 1, from: 50)
                // The first wait finds out the store is gone; the next fails at once, naming it.
                _ = try? await shipper.waitShipped(through: local.head.seq, on: local.loop).get()
                let clock = ContinuousClock()
                let started = clock.now
                await #expect(throws: CentralStoreError.self) { try await shipper.waitShipped(through: local.head.seq, on: local.loop).get() }
                #expect(clock.now - started < .seconds(2), "fails at once while the store is known to be down")
                do {
                    try await shipper.waitShipped(through: local.head.seq, on: local.loop).get()
                } catch {
                    #expect("\(error)".contains("the central store postgresql://runner-a@"), "\(error)")
                }
                try fixture.cluster.restart()
                try await Self.until(timeout: .seconds(30)) { shipper.status().shippedSeq == local.head.seq }
                try await shipper.waitShipped(through: local.head.seq, on: local.loop).get()
            }
        }
    }

    static func until(timeout: Duration = .seconds(20), _ condition: @escaping @Sendable () -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !condition() {
            guard clock.now < deadline else { throw HarnessError("timed out waiting") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
