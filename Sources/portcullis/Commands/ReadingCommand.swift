import ArgumentParser
import Store

/// What the reading commands share: failing with the right exit code, reading queries that fail
/// after opening, and writing to standard output.
enum ReadingCommand {
    /// Prints `message` and returns the bad-argument exit to throw.
    static func fail(_ message: String) -> ExitCode {
        Console.error(message)
        return PortcullisExit.badArgument
    }

    /// Runs a query; a failure to read the store exits 3 naming it.
    static func query<T>(_ reader: StoreReader, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            Console.error("cannot read the store \(reader.path): \(error)")
            throw PortcullisExit.storeUnavailable
        }
    }

    /// A record reference from the command line, or exit 2.
    static func reference(_ text: String) throws -> RecordReference {
        guard let reference = RecordReference(text) else {
            throw fail("'\(text)' is not a record ID: expected run<N> for a run, c<N> for a session, r<N> for a request or g<N> for a guard event (see portcullis sessions)")
        }
        return reference
    }

    static func notFound(_ reference: RecordReference, in reader: StoreReader) -> ExitCode {
        fail("no \(reference.kindName) \(reference) in the store \(reader.path)")
    }
}
