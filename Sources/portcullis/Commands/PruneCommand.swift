import ArgumentParser
import Central
import Foundation
import Kube
import Store

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete records older than a duration, keeping the chain verifiable.",
        discussion: """
            The oldest rows go, in chain order, and a checkpoint row records where the chain now starts, so \
            `portcullis verify` still passes. A store whose chain does not verify is never pruned: that would \
            erase the evidence. Safe to run while the gateway writes. A store that ships to the central store keeps \
            every row PostgreSQL does not hold yet, whatever its age. With --central, prune the central store \
            instead, host by host (--host NAME for one), with the owner's credentials. Exit 0: done (also when \
            nothing was old enough); 1: the chain is broken; 2: a bad argument; 3: the store cannot be opened or written.
            """)

    @OptionGroup var location: StoreLocationOptions

    @Option(name: .customLong("older-than"), help: ArgumentHelp("Prune records older than this: 30d, 12h, 90m.", valueName: "duration"))
    var olderThan: String

    @Flag(name: .customLong("vacuum"), help: "Give the freed space back to the file system afterwards (rewrites the file).")
    var vacuum = false

    func run() async throws {
        guard let age = DurationText.parse(olderThan), age > .zero else {
            throw ReadingCommand.fail("--older-than: expected a duration such as 30d, 12h or 90m, got '\(olderThan)'")
        }
        try CentralReading.checkHostNeedsCentral(location)
        if location.central { return try await pruneCentral(age) }
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
        let shipped = try shippedLimit(database)
        do {
            let result = try StorePruner(database: database).prune(olderThan: cutoff, keepingAfter: shipped, now: now, vacuum: vacuum)
            if let through = result.prunedThroughSeq, let checkpoint = result.checkpointSeq {
                print("pruned \(result.rowsPruned) rows older than \(cutoff.rfc3339): the chain now starts after seq \(through) "
                      + "(checkpoint seq \(checkpoint))")
            } else {
                print("nothing older than \(cutoff.rfc3339) to prune" + (shipped.map { " that the central store holds (it holds rows through seq \($0))" } ?? ""))
            }
        } catch {
            Console.error(error.description)
            if case .chainBroken = error { throw PortcullisExit.tampered }
            throw PortcullisExit.storeUnavailable
        }
    }

    /// The last row the central store holds, when this store ships there: nothing after it may go.
    /// A configuration with `central:` whose store never shipped keeps everything.
    private func shippedLimit(_ database: StoreDatabase) throws -> Int64? {
        let entries: [ShippingProgress.Entry]
        do {
            entries = try ShippingProgress.entries(database)
        } catch {
            Console.error("cannot read how far \(database.path) was shipped: \(error)")
            throw PortcullisExit.storeUnavailable
        }
        if let lowest = entries.map(\.head.seq).min() { return lowest }
        let configured = location.config.flatMap { try? GatewayConfiguration.load(path: $0) }?.central != nil
        return configured ? 0 : nil
    }

    private func pruneCentral(_ age: Duration) async throws {
        let cutoff = KubeTime(microseconds: StoreClock.now().microseconds - age.components.seconds * 1_000_000)
        let host = location.host
        let refused = try await CentralReading.with(location) { central -> Bool in
            var refused = false
            for entry in try await CentralReading.hosts(central, named: host) {
                let outcome = try await CentralPruner(reader: central).prune(entry, olderThan: cutoff)
                if let why = outcome.refused {
                    Console.error("\(entry.name): not pruned: \(why)")
                    refused = true
                } else if let through = outcome.prunedThroughSeq {
                    print("\(entry.name): pruned \(outcome.rowsPruned) rows older than \(cutoff.rfc3339): its chain now starts after seq \(through)")
                } else {
                    print("\(entry.name): nothing older than \(cutoff.rfc3339) to prune")
                }
            }
            return refused
        }
        if refused { throw PortcullisExit.tampered }
    }
}
