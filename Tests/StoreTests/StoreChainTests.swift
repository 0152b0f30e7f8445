import Foundation
import GRDB
import Kube
import NIOCore
import Proxy
import Store
import Testing

/// The hash chain and `verify`: an untouched store passes; an edited, deleted or reordered row is
/// named (the first one); pruning keeps the chain verifiable and its checkpoint is itself guarded.
@Suite struct StoreChainTests {
    /// Appends `count` tamper rows at times 1s, 2s, ... and returns their seqs.
    @discardableResult
    func appendRows(_ f: StoreFixture, count: Int, startSecond: Int64 = 1) throws -> [Int64] {
        let futures = (0..<count).map { i in
            f.writer.append([StoreRow(.tamperEvents, [
                "at": .integer((startSecond + Int64(i)) * 1_000_000), "drift": .text("[\"change \(i)\"]"), "restored": .integer(1),
            ])], on: f.loop)
        }
        for future in futures { try future.wait() }
        return try f.rows("SELECT seq FROM tamper_events ORDER BY seq").map { $0["seq"] }
    }

    /// Mixed rows from several tables, as a session writes them.
    func appendSession(_ f: StoreFixture) throws {
        try f.record(TestEvents.opened(1))
        try f.record(TestEvents.exchange(2, uri: "/api/v1/namespaces/demo/pods", chunks: [[UInt8]("{\"kind\":\"PodList\",\"items\":[]}")]))
        try f.record(TestEvents.exchange(3, uri: "/api/v1/namespaces/demo/configmaps/a", chunks: [[UInt8]("{\"kind\":\"ConfigMap\"}")]))
        try f.record(.connectionClosed(ConnectionID(1), time: TestEvents.time(9_000)))
    }

    /// Changes the file behind the writer's back, as an attacker with the file would.
    func tamper(_ f: StoreFixture, _ sql: String) throws {
        let queue = try DatabaseQueue(path: f.path)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
    }

    @Test func aFreshStoreVerifies() throws {
        let f = try StoreFixture.make("chain-fresh")
        defer { f.close() }
        let empty = try StoreVerifier.verify(f.database)
        #expect(empty.isIntact && empty.rowsChecked == 0 && empty.head == RecordHasher.genesis)
        try appendSession(f)
        try appendRows(f, count: 5)
        let report = try StoreVerifier.verify(f.database)
        #expect(report.isIntact, "\(report)")
        let total = try ["connections", "connection_ends", "requests", "responses", "tamper_events"].reduce(0) { $0 + (try f.count($1)) }
        #expect(report.rowsChecked == total)
        #expect(report.firstSeq == 1 && report.lastSeq == Int64(total))
        let lastHash: Data = try f.rows("SELECT hash FROM tamper_events ORDER BY seq DESC LIMIT 1")[0]["hash"]
        #expect(report.head == [UInt8](lastHash))
    }

    @Test func canonicalContentKeepsTypesAndBoundariesApart() {
        func content(_ values: [StoreValue], table: String = "t") -> [UInt8] {
            RecordHasher.canonicalContent(table: table, columns: values.enumerated().map { ("c\($0.offset)", $0.element) })
        }
        let variants: [[UInt8]] = [
            content([.null]), content([.text("")]), content([.blob([])]), content([.integer(0)]), content([.real(0)]),
            content([.text("ab"), .text("c")]), content([.text("a"), .text("bc")]), content([.text("abc")]),
            content([.text("1")]), content([.integer(1)]), content([.blob([0x31])]), content([.null], table: "u"),
        ]
        #expect(Set(variants).count == variants.count)
        #expect(RecordHasher.chain(previous: RecordHasher.genesis, content: variants[0]).count == 32)
    }

    @Test func anEditedColumnIsNamedAtTheFirstAlteredRow() throws {
        let f = try StoreFixture.make("chain-edit")
        defer { f.close() }
        try appendSession(f)
        let request: Row = try f.rows("SELECT seq, id FROM requests ORDER BY seq LIMIT 1")[0]
        let seq: Int64 = request["seq"]
        let laterSeqs = try appendRows(f, count: 4)
        try tamper(f, "UPDATE requests SET uri = '/api/v1/namespaces/prod/secrets' WHERE seq = \(seq)")
        try tamper(f, "UPDATE tamper_events SET restored = 0 WHERE seq = \(laterSeqs[2])")
        let report = try StoreVerifier.verify(f.database)
        let problem = try #require(report.problem)
        #expect(problem.kind == .altered)
        #expect(problem.table == "requests" && problem.seq == seq)
        #expect(problem.record == "id \(request["id"] as Int64)")
        #expect(report.description.contains("requests seq \(seq)"))
    }

    @Test func anEditedHashIsCaughtAtThatRow() throws {
        let f = try StoreFixture.make("chain-hash")
        defer { f.close() }
        let seqs = try appendRows(f, count: 6)
        try tamper(f, "UPDATE tamper_events SET hash = zeroblob(32) WHERE seq = \(seqs[3])")
        let problem = try #require(try StoreVerifier.verify(f.database).problem)
        #expect(problem.kind == .altered && problem.seq == seqs[3])
    }

    @Test func aDeletedRowIsNamedWithTheGap() throws {
        let f = try StoreFixture.make("chain-delete")
        defer { f.close() }
        try appendSession(f)
        let seqs = try appendRows(f, count: 6)
        try tamper(f, "DELETE FROM tamper_events WHERE seq = \(seqs[2])")
        let problem = try #require(try StoreVerifier.verify(f.database).problem)
        #expect(problem.kind == .deleted(missing: seqs[2]...seqs[2]))
        #expect(problem.table == "tamper_events" && problem.seq == seqs[3])
        #expect(problem.description.contains("seq \(seqs[2]) is missing"))
    }

    @Test func deletedFirstRowsWithoutACheckpointAreCaught() throws {
        let f = try StoreFixture.make("chain-head")
        defer { f.close() }
        let seqs = try appendRows(f, count: 5)
        try tamper(f, "DELETE FROM tamper_events WHERE seq <= \(seqs[1])")
        let problem = try #require(try StoreVerifier.verify(f.database).problem)
        #expect(problem.kind == .deleted(missing: 1...seqs[1]) && problem.seq == seqs[2])
    }

    @Test func swappedSeqsAreReportedAsReordered() throws {
        let f = try StoreFixture.make("chain-swap")
        defer { f.close() }
        try appendSession(f)
        let seqs = try appendRows(f, count: 6)
        let (a, b) = (seqs[1], seqs[2])
        try tamper(f, "UPDATE tamper_events SET seq = -1 WHERE seq = \(a); UPDATE tamper_events SET seq = \(a) WHERE seq = \(b); "
                   + "UPDATE tamper_events SET seq = \(b) WHERE seq = -1")
        let problem = try #require(try StoreVerifier.verify(f.database).problem)
        #expect(problem.kind == .reordered(writtenAs: b))
        #expect(problem.seq == a && problem.table == "tamper_events")
    }

    @Test func swappedRowsAcrossTablesAreReportedAsReordered() throws {
        let f = try StoreFixture.make("chain-swap2")
        defer { f.close() }
        try appendSession(f)
        // The request row and the responses row right after it, in two tables.
        let requestSeq: Int64 = try f.rows("SELECT seq FROM requests ORDER BY seq LIMIT 1")[0]["seq"]
        let responseSeq: Int64 = try f.rows("SELECT seq FROM responses ORDER BY seq LIMIT 1")[0]["seq"]
        #expect(responseSeq == requestSeq + 1)
        try tamper(f, "UPDATE requests SET seq = \(responseSeq) WHERE seq = \(requestSeq); "
                   + "UPDATE responses SET seq = \(requestSeq) WHERE seq = \(responseSeq)")
        let problem = try #require(try StoreVerifier.verify(f.database).problem)
        #expect(problem.kind == .reordered(writtenAs: responseSeq) && problem.table == "responses" && problem.seq == requestSeq)
    }

    /// Rows cut from the end leave no trace in the chain alone; the writer keeps chaining from the
    /// head it wrote, so the next record shows the gap.
    @Test func rowsCutFromTheEndShowOnceTheWriterWritesAgain() throws {
        let f = try StoreFixture.make("chain-tail")
        defer { f.close() }
        let seqs = try appendRows(f, count: 5)
        try tamper(f, "DELETE FROM tamper_events WHERE seq >= \(seqs[3])")
        let cutReport = try StoreVerifier.verify(f.database)
        #expect(cutReport.isIntact, "a chain alone cannot show a cut end")
        // A head kept from before the cut is no longer in the chain.
        let oldHead: Data = try f.rows("SELECT hash FROM tamper_events WHERE seq = \(seqs[2])")[0]["hash"]
        #expect(try StoreVerifier.contains(head: cutReport.headHex, in: f.database))
        #expect(try StoreVerifier.contains(head: [UInt8](oldHead).map { String(format: "%02x", $0) }.joined(), in: f.database))
        #expect(try !StoreVerifier.contains(head: String(repeating: "ab", count: 32), in: f.database))
        try appendRows(f, count: 1, startSecond: 9)
        let problem = try #require(try StoreVerifier.verify(f.database).problem)
        #expect(problem.kind == .deleted(missing: seqs[3]...seqs[4]) && problem.seq == seqs[4] + 1)
    }

    @Test func verifyWorksOnAReadOnlyOpening() throws {
        let f = try StoreFixture.make("chain-readonly")
        defer { f.close() }
        try appendSession(f)
        let readOnly = try StoreDatabase.openReadOnly(path: f.path)
        defer { try? readOnly.close() }
        #expect(try StoreVerifier.verify(readOnly).isIntact)
        #expect(throws: StoreOpenError.missing(path: f.path + ".nope")) { try StoreDatabase.openReadOnly(path: f.path + ".nope") }
    }

    @Test func aPrunedStoreVerifiesAndKeepsGrowing() throws {
        let f = try StoreFixture.make("chain-prune")
        defer { f.close() }
        let seqs = try appendRows(f, count: 10)
        let result = try StorePruner(database: f.database).prune(olderThan: KubeTime(seconds: 5), now: KubeTime(seconds: 11),
                                                                 vacuum: true)
        #expect(result.rowsPruned == 4 && result.prunedThroughSeq == seqs[3])
        #expect(try f.count("tamper_events") == 6)
        let checkpoint = try f.rows("SELECT * FROM checkpoints")[0]
        #expect(checkpoint.int("pruned_through_seq") == seqs[3])
        #expect(checkpoint.int("seq") == seqs[9] + 1)
        let report = try StoreVerifier.verify(f.database)
        #expect(report.isIntact, "\(report)")
        #expect(report.prunedThroughSeq == seqs[3] && report.firstSeq == seqs[4] && report.rowsChecked == 7)
        // The writer chains on after the checkpoint; a second prune anchors on the first.
        try appendRows(f, count: 3, startSecond: 20)
        #expect(try StoreVerifier.verify(f.database).isIntact)
        let second = try StorePruner(database: f.database).prune(olderThan: KubeTime(seconds: 21), now: KubeTime(seconds: 23))
        #expect(second.rowsPruned == 8)
        let again = try StoreVerifier.verify(f.database)
        #expect(again.isIntact && again.rowsChecked == 3, "\(again)")
        // Nothing old enough: nothing pruned, no checkpoint.
        #expect(try StorePruner(database: f.database).prune(olderThan: KubeTime(seconds: 1)).rowsPruned == 0)
    }

    /// Another process's prune (its own connection) writes a checkpoint between two of the writer's
    /// commits: the writer must chain after it, not on from the head it committed last.
    @Test func aCheckpointAnotherConnectionWroteIsChainedAfter() throws {
        let f = try StoreFixture.make("chain-other-prune")
        defer { f.close() }
        let seqs = try appendRows(f, count: 6)
        let other = try StoreDatabase.open(path: f.path)
        let result = try StorePruner(database: other).prune(olderThan: KubeTime(seconds: 3), now: KubeTime(seconds: 11))
        try other.close()
        #expect(result.checkpointSeq == seqs[5] + 1)
        let later = try appendRows(f, count: 2, startSecond: 20)
        #expect(later.suffix(2).first == seqs[5] + 2, "the writer chains after the checkpoint")
        let report = try StoreVerifier.verify(f.database)
        #expect(report.isIntact, "\(report)")
    }

    @Test func pruningEverythingLeavesAVerifiableCheckpoint() throws {
        let f = try StoreFixture.make("chain-prune-all")
        defer { f.close() }
        try appendRows(f, count: 3)
        let result = try StorePruner(database: f.database).prune(olderThan: KubeTime(seconds: 100))
        #expect(result.rowsPruned == 3)
        let report = try StoreVerifier.verify(f.database)
        #expect(report.isIntact && report.rowsChecked == 1, "\(report)")
    }

    @Test func aTamperedCheckpointIsCaught() throws {
        for (name, edit) in [("anchor", "UPDATE checkpoints SET anchor_hash = zeroblob(32)"),
                             ("through", "UPDATE checkpoints SET pruned_through_seq = pruned_through_seq - 1"),
                             ("count", "UPDATE checkpoints SET rows_pruned = 0")] {
            let f = try StoreFixture.make("chain-cp-\(name)")
            defer { f.close() }
            try appendRows(f, count: 8)
            let result = try StorePruner(database: f.database).prune(olderThan: KubeTime(seconds: 4))
            #expect(try StoreVerifier.verify(f.database).isIntact)
            try tamper(f, edit)
            let problem = try #require(try StoreVerifier.verify(f.database).problem, "\(name)")
            #expect(problem.table == "checkpoints" && problem.seq == result.checkpointSeq && problem.kind == .altered, "\(name): \(problem)")
        }
    }

    @Test func aBrokenChainIsNotPruned() throws {
        let f = try StoreFixture.make("chain-prune-broken")
        defer { f.close() }
        let seqs = try appendRows(f, count: 6)
        try tamper(f, "UPDATE tamper_events SET drift = '[]' WHERE seq = \(seqs[1])")
        #expect {
            try StorePruner(database: f.database).prune(olderThan: KubeTime(seconds: 4))
        } throws: { error in
            "\(error)".contains("does not verify") && "\(error)".contains("seq \(seqs[1])")
        }
        #expect(try f.count("tamper_events") == 6)
    }
}
