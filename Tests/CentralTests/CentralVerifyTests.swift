import Central
import Foundation
import GRDB
import Kube
import Store
import Testing
import TestSupport

/// `verify --central` and `prune --central` against a real PostgreSQL.
@Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
struct CentralVerifyTests {
    /// Ships `requests` requests of runner-a and returns the local store.
    static func shipped(_ fixture: CentralFixture, requests: Int) async throws -> LocalStore {
        let local = try LocalStore(fixture.group)
        try local.recordSession(1, requests: requests)
        let gateway = try fixture.configuration(user: "runner-a", hostName: "runner-a")
        try await fixture.withClient(gateway) { client in
            let shipper = CentralShippingTests.shipper(fixture, client, local, gateway)
            try await CentralShippingTests.ship(shipper) { shipper.status().shippedSeq == local.head.seq }
        }
        return local
    }

    static func verify(_ fixture: CentralFixture, local: LocalStore? = nil) async throws -> CentralVerification {
        try await fixture.withClient(try fixture.configuration(user: "alice", hostName: "reviewer")) { client in
            let reader = CentralReader(client: client, store: "test", logger: CentralFixture.quietLogger)
            let host = try #require(try await reader.hosts(named: "runner-a").first)
            return try await CentralVerifier(reader: reader).verify(host, local: local?.database)
        }
    }

    @Test("a row the superuser edits in PostgreSQL is named; rows deleted from the end are named by the last shipment")
    func centralTampering() async throws {
        try await CentralFixture.with { fixture in
            let local = try await Self.shipped(fixture, requests: 10)
            defer { local.close() }
            #expect(try await Self.verify(fixture).isIntact)
            let row = try #require(try fixture.superuserRows("SELECT seq, uri FROM portcullis.requests WHERE host = 'runner-a' ORDER BY seq OFFSET 4 LIMIT 1").first)
            let seq = row.split(separator: "|")[0], uri = row.split(separator: "|")[1]
            _ = try fixture.superuserRows("UPDATE portcullis.requests SET uri = '/api/v1/namespaces/demo/configmaps/innocent' WHERE host = 'runner-a' AND seq = \(seq)")
            let edited = try await Self.verify(fixture)
            #expect(!edited.isIntact)
            #expect(edited.report?.problem?.description.contains("requests seq \(seq)") == true, "\(String(describing: edited.report))")
            #expect(edited.report?.problem?.description.contains("altered") == true, "\(String(describing: edited.report))")
            _ = try fixture.superuserRows("UPDATE portcullis.requests SET uri = '\(uri)' WHERE host = 'runner-a' AND seq = \(seq)")
            #expect(try await Self.verify(fixture).isIntact)
            // Rows cut from the very end leave a chain that verifies on its own: the last shipment names them.
            let last = local.head.seq
            _ = try fixture.superuserRows("DELETE FROM portcullis.connection_ends WHERE host = 'runner-a' AND seq = \(last)")
            let cut = try await Self.verify(fixture)
            #expect(cut.tailProblem?.contains("rows seq \(last) to \(last) were removed from the central store") == true, "\(cut)")
        }
    }

    @Test("run on the host, verify compares the local store with what shipped and names a local rewrite")
    func localRewrite() async throws {
        try await CentralFixture.with { fixture in
            let local = try await Self.shipped(fixture, requests: 6)
            defer { local.close() }
            let clean = try await Self.verify(fixture, local: local)
            #expect(clean.isIntact && clean.local?.rowsCompared == Int(local.head.seq))
            // Someone with the local file rewrites a request and recomputes the whole local chain:
            // the local chain verifies on its own, but no longer matches what was shipped.
            let target = try await local.database.pool.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM requests ORDER BY seq LIMIT 1 OFFSET 2") } ?? 0
            try Self.rewrite(local.database, changing: target)
            #expect(try StoreVerifier.verify(local.database).isIntact, "the rewrite recomputed the chain")
            let result = try await Self.verify(fixture, local: local)
            #expect(result.report?.problem == nil, "the central copy is intact")
            #expect(result.local?.difference?.contains("local row seq \(target) differs from the one shipped") == true, "\(String(describing: result.local))")
        }
    }

    @Test("prune --central deletes a prefix of a host's chain, anchors the rest, and the rest still verifies")
    func centralPrune() async throws {
        try await CentralFixture.with { fixture in
            let local = try await Self.shipped(fixture, requests: 8)
            defer { local.close() }
            let admin = try fixture.configuration(user: fixture.cluster.superuser, password: fixture.cluster.superuserPassword, hostName: "admin")
            let outcome = try await fixture.withClient(admin) { client in
                let reader = CentralReader(client: client, store: "test", logger: CentralFixture.quietLogger)
                let host = try #require(try await reader.hosts(named: "runner-a").first)
                // Requests were recorded at t0 + 10·n µs: everything before request 5's time goes.
                return try await CentralPruner(reader: reader).prune(host, olderThan: KubeTime(microseconds: 1_790_000_000_000_000 + 50))
            }
            #expect(outcome.refused == nil && outcome.rowsPruned > 0, "\(outcome)")
            let through = try #require(outcome.prunedThroughSeq)
            #expect(try fixture.superuserRows("SELECT min(seq) FROM portcullis.requests WHERE host = 'runner-a'").first.flatMap { Int64($0) } ?? 0 > through)
            let after = try await Self.verify(fixture)
            #expect(after.isIntact && after.report?.prunedThroughSeq == through, "\(String(describing: after.report))")
            let denied = try fixture.psql("DELETE FROM portcullis.requests WHERE host = 'runner-a'", as: "alice")
            #expect(!denied.status.isSuccess, "a reviewer may not prune: \(denied)")
        }
    }

    /// Changes one request's URI and recomputes every hash from there, as a careful attacker would.
    static func rewrite(_ database: StoreDatabase, changing seq: Int64) throws {
        try database.pool.write { db in
            try db.execute(sql: "UPDATE requests SET uri = '/api/v1/namespaces/demo/configmaps/innocent' WHERE seq = ?", arguments: [seq])
            var previous = try ChainSlice.read(db, after: seq - 2, through: seq - 1, maxRows: 1, maxBytes: 1).first?.hash ?? RecordHasher.genesis
            let rows = try ChainSlice.read(db, after: seq - 1, through: Int64.max, maxRows: 100_000, maxBytes: Int.max)
            for row in rows {
                let hash = row.expectedHash(previous: previous)
                try db.execute(sql: "UPDATE \(row.table.name) SET hash = ? WHERE seq = ?", arguments: [Data(hash), row.seq])
                previous = hash
            }
        }
    }
}
