import Foundation
import Kube
import Proxy
import Store
import Testing
import TestSupport

/// `portcullis verify` and `portcullis prune` on stores the real recorder wrote: exit codes,
/// messages, the kept head, and a chain that still verifies after pruning.
@Suite struct VerifyAndPruneCommandTests {
    func portcullis(_ arguments: [String]) throws -> HostCommandResult {
        try HostCommand.run(try Products.gateway(), arguments)
    }

    /// Two old exchanges (at the fixture's fixed time, weeks ago) and two from now on.
    func recordedStore() throws -> StoreFixture {
        let fixture = try StoreFixture.make("verify-prune")
        let now = StoreClock.now().microseconds - TestEvents.t0
        try fixture.record([TestEvents.opened(1)])
        try fixture.record(TestEvents.exchange(1, uri: "/api/v1/namespaces", chunks: [Array("{}")]))
        try fixture.record(TestEvents.exchange(2, uri: "/api/v1/pods", chunks: [Array("{}")], at: 100))
        try fixture.record([TestEvents.opened(2, at: now)])
        try fixture.record(TestEvents.exchange(3, connection: 2, uri: "/api/v1/namespaces/demo", chunks: [Array("{}")], at: now + 10))
        try fixture.record(TestEvents.exchange(4, connection: 2, uri: "/api/v1/namespaces/demo/pods", chunks: [Array("{}")], at: now + 20))
        return fixture
    }

    static func head(in output: String) -> String? {
        output.range(of: "head ").map { String(output[$0.upperBound...].prefix(64)) }
    }

    @Test func verifyPassesAnIntactStoreAndPruneKeepsItVerifiable() throws {
        let fixture = try recordedStore()
        defer { fixture.close() }
        let intact = try portcullis(["verify", "--store", fixture.path])
        #expect(intact.status == .exited(0), "\(intact)")
        #expect(intact.standardOutput.hasPrefix("the record is intact: 10 rows, seq 1 to 10; head "), "\(intact.standardOutput)")
        let head = try #require(Self.head(in: intact.standardOutput))

        let pruned = try portcullis(["prune", "--store", fixture.path, "--older-than", "30d"])
        #expect(pruned.status == .exited(0), "\(pruned)")
        #expect(pruned.standardOutput.hasPrefix("pruned 5 rows older than "), "\(pruned.standardOutput)")
        #expect(try fixture.count("requests") == 2 && fixture.count("checkpoints") == 1)
        let after = try portcullis(["verify", "--store", fixture.path, "--expect-head", head])
        #expect(after.status == .exited(0), "the checkpoint is the new head, and the kept head is still in the chain: \(after)")
        let checked = try portcullis(["verify", "--store", fixture.path])
        #expect(checked.status == .exited(0), "\(checked)")
        #expect(checked.standardOutput.contains("starting after the checkpoint of rows through seq 5"), "\(checked.standardOutput)")
        let again = try portcullis(["prune", "--store", fixture.path, "--older-than", "30d"])
        #expect(again.standardOutput.hasPrefix("nothing older than "), "\(again)")
    }

    @Test func aKeptHeadCatchesRowsCutFromTheEnd() throws {
        let fixture = try recordedStore()
        defer { fixture.close() }
        let head = try #require(Self.head(in: try portcullis(["verify", "--store", fixture.path]).standardOutput))
        #expect(try portcullis(["verify", "--store", fixture.path, "--expect-head", head]).status == .exited(0))
        fixture.writer.close()
        try HostCommand.check("/usr/bin/python3", ["-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n"
                                                   + "c.execute('DELETE FROM responses WHERE seq = (SELECT max(seq) FROM responses)')\nc.commit()",
                                                   fixture.path])
        #expect(try portcullis(["verify", "--store", fixture.path]).status == .exited(0), "the chain alone cannot see a cut end")
        let cut = try portcullis(["verify", "--store", fixture.path, "--expect-head", head])
        #expect(cut.status == .exited(1), "\(cut)")
        #expect(cut.standardOutput.contains("no row carries the expected head"), "\(cut.standardOutput)")
    }

    @Test func aTamperedStoreIsNamedAndNeverPruned() throws {
        let fixture = try recordedStore()
        defer { fixture.close() }
        fixture.writer.close()
        try HostCommand.check("/usr/bin/python3", ["-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n"
                                                   + "c.execute(\"UPDATE requests SET uri = '/api/v1/secrets' WHERE id = 2\")\nc.commit()",
                                                   fixture.path])
        let verify = try portcullis(["verify", "--store", fixture.path])
        #expect(verify.status == .exited(1), "\(verify)")
        #expect(verify.standardOutput.hasPrefix("the record was tampered with: requests seq "), "\(verify.standardOutput)")
        #expect(verify.standardOutput.contains("altered"), "\(verify.standardOutput)")
        let prune = try portcullis(["prune", "--store", fixture.path, "--older-than", "1d"])
        #expect(prune.status == .exited(1), "\(prune)")
        #expect(prune.standardError.contains("refusing to prune"), "\(prune.standardError)")
        #expect(try fixture.count("requests") == 4, "nothing was deleted")
    }

    @Test func badArgumentsAndMissingStoresAreNamed() throws {
        let directory = try TemporaryDirectory.create(purpose: "verify-args")
        defer { directory.remove() }
        let missing = directory.path("none.sqlite")
        let cases: [([String], Int32, String)] = [
            (["verify", "--store", missing], 3, missing),
            (["prune", "--store", missing, "--older-than", "30d"], 3, "no store at \(missing)"),
            (["prune", "--store", missing, "--older-than", "soon"], 2, "--older-than: expected a duration such as 30d, 12h or 90m, got 'soon'"),
            (["verify", "--store", missing, "--expect-head", "abc"], 2, "--expect-head: expected the 64 hex digits"),
            (["verify"], 2, "give the recording with --store PATH, or the gateway configuration with --config FILE"),
        ]
        for (arguments, code, message) in cases {
            let result = try portcullis(arguments)
            #expect(result.status == .exited(code), "\(arguments): \(result)")
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing), "neither command creates a store")
    }
}
