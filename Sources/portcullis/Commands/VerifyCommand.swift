import ArgumentParser
import Central
import Foundation
import Store

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the recording's hash chain and name the first row that was altered, deleted or reordered.",
        discussion: """
            Every row's hash covers its content and the row before it. Exit 0: intact; 1: tampered (the row is \
            named); 2: a bad argument; 3: the store cannot be opened. The chain cannot show rows removed from its \
            very end: keep the printed head elsewhere and pass it back with --expect-head to catch that too. \
            Safe to run while the gateway writes; it reads one snapshot. With --central, every host's chain in the \
            central store (--host NAME for one) and its end against the last shipment; run on a gateway host with its \
            configuration, it also compares the local store with what was shipped, which catches a local rewrite \
            after shipping. Checking the central rows' content needs the reviewer role.
            """)

    @OptionGroup var location: StoreLocationOptions

    @Option(name: .customLong("expect-head"),
            help: ArgumentHelp("The head hash an earlier verify printed: fail unless the chain still contains it.", valueName: "hex"))
    var expectHead: String?

    func run() async throws {
        if let expectHead, expectHead.count != 64 || !expectHead.allSatisfy(\.isHexDigit) {
            throw ReadingCommand.fail("--expect-head: expected the 64 hex digits verify printed, got '\(expectHead)'")
        }
        try CentralReading.checkHostNeedsCentral(location)
        if location.central { return try await verifyCentral() }
        let path = try location.path()
        let database: StoreDatabase
        do {
            database = try StoreDatabase.openReadOnly(path: path)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.storeUnavailable
        }
        let report: VerificationReport
        do {
            report = try StoreVerifier.verify(database)
            if let expectHead, report.isIntact, !(try StoreVerifier.contains(head: expectHead.lowercased(), in: database)) {
                print("the record was tampered with: no row carries the expected head \(expectHead.lowercased()); "
                      + "rows were removed from the end or the chain was rewritten")
                throw PortcullisExit.tampered
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Console.error("cannot read the store \(path): \(error)")
            throw PortcullisExit.storeUnavailable
        }
        print(report.description)
        if !report.isIntact { throw PortcullisExit.tampered }
    }

    /// Each host's chain in the central store; this host's local store against it when there is one.
    private func verifyCentral() async throws {
        let local = try localStore()
        defer { try? local?.database.close() }
        let host = location.host
        let intact = try await CentralReading.with(location) { central -> Bool in
            var intact = true
            let verifier = CentralVerifier(reader: central)
            for entry in try await CentralReading.hosts(central, named: host) {
                let mine = local.flatMap { $0.host == entry.name ? $0.database : nil }
                let result = try await verifier.verify(entry, local: mine)
                print(Self.text(result))
                intact = intact && result.isIntact
            }
            return intact
        }
        if !intact { throw PortcullisExit.tampered }
    }

    /// The gateway's own store and host name, when `--config` is this host's gateway configuration.
    private func localStore() throws -> (host: String, database: StoreDatabase)? {
        guard let config = location.config, let configuration = try? GatewayConfiguration.load(path: config),
              let central = configuration.central, FileManager.default.fileExists(atPath: configuration.storePath) else { return nil }
        do {
            return (central.hostName, try StoreDatabase.openReadOnly(path: configuration.storePath))
        } catch {
            Console.error(error.description)
            throw PortcullisExit.storeUnavailable
        }
    }

    static func text(_ result: CentralVerification) -> String {
        var lines: [String] = []
        if let report = result.report {
            lines.append("\(result.host): central: \(report.description)")
        } else if let why = result.contentSkipped {
            lines.append("\(result.host): central: not checked: \(why)")
        }
        if let tail = result.tailProblem { lines.append("\(result.host): central: the record was tampered with: \(tail)") }
        if let local = result.local {
            if let difference = local.difference {
                lines.append("\(result.host): local: the record was tampered with: \(difference)")
            } else {
                let range = local.firstSeq.map { ", seq \($0) to \(local.lastSeq ?? $0)" } ?? ""
                lines.append("\(result.host): local: matches what was shipped: \(local.rowsCompared) rows compared\(range)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
