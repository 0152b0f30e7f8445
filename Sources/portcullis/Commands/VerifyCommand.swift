import ArgumentParser
import Store

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the recording's hash chain and name the first row that was altered, deleted or reordered.",
        discussion: """
            Every row's hash covers its content and the row before it. Exit 0: intact; 1: tampered (the row is \
            named); 2: a bad argument; 3: the store cannot be opened. The chain cannot show rows removed from its \
            very end: keep the printed head elsewhere and pass it back with --expect-head to catch that too. \
            Safe to run while the gateway writes; it reads one snapshot.
            """)

    @OptionGroup var location: StoreLocationOptions

    @Option(name: .customLong("expect-head"),
            help: ArgumentHelp("The head hash an earlier verify printed: fail unless the chain still contains it.", valueName: "hex"))
    var expectHead: String?

    func run() throws {
        if let expectHead, expectHead.count != 64 || !expectHead.allSatisfy(\.isHexDigit) {
            throw ReadingCommand.fail("--expect-head: expected the 64 hex digits verify printed, got '\(expectHead)'")
        }
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
}
