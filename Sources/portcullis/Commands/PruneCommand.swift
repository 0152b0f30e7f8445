import ArgumentParser
import Foundation
import Kube
import Store

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete records older than a duration, keeping the chain verifiable.",
        discussion: """
            The oldest rows go, in chain order, and a checkpoint row records where the chain now starts, so \
            `portcullis verify` still passes. A store whose chain does not verify is never pruned: that would \
            erase the evidence. Safe to run while the gateway writes. Exit 0: done (also when nothing was old \
            enough); 1: the chain is broken; 2: a bad argument; 3: the store cannot be opened or written.
            """)

    @OptionGroup var location: StoreLocationOptions

    @Option(name: .customLong("older-than"), help: ArgumentHelp("Prune records older than this: 30d, 12h, 90m.", valueName: "duration"))
    var olderThan: String

    @Flag(name: .customLong("vacuum"), help: "Give the freed space back to the file system afterwards (rewrites the file).")
    var vacuum = false

    func run() throws {
        guard let age = DurationText.parse(olderThan), age > .zero else {
            throw ReadingCommand.fail("--older-than: expected a duration such as 30d, 12h or 90m, got '\(olderThan)'")
        }
        let path = try location.path()
        guard FileManager.default.fileExists(atPath: path) else {
            Console.error("no store at \(path): nothing to prune")
            throw PortcullisExit.storeUnavailable
        }
        let database: StoreDatabase
        do {
            database = try StoreDatabase.open(path: path)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.storeUnavailable
        }
        let now = StoreClock.now()
        let cutoff = KubeTime(microseconds: now.microseconds - age.components.seconds * 1_000_000)
        do {
            let result = try StorePruner(database: database).prune(olderThan: cutoff, now: now, vacuum: vacuum)
            if let through = result.prunedThroughSeq, let checkpoint = result.checkpointSeq {
                print("pruned \(result.rowsPruned) rows older than \(cutoff.rfc3339): the chain now starts after seq \(through) "
                      + "(checkpoint seq \(checkpoint))")
            } else {
                print("nothing older than \(cutoff.rfc3339) to prune")
            }
        } catch {
            Console.error(error.description)
            if case .chainBroken = error { throw PortcullisExit.tampered }
            throw PortcullisExit.storeUnavailable
        }
    }
}
