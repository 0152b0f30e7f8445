import ArgumentParser
import Central
import Store

/// What `sessions`, `show`, `replay`, `export` and `verify` share with `--central`: the store's
/// configuration, the hosts to read, and record IDs that name their host (`runner-a/c12`).
enum CentralReading {
    /// The `central:` section of `--config FILE` (a gateway configuration or a file with only `central:`).
    static func configuration(_ location: StoreLocationOptions) throws -> CentralConfiguration {
        guard let path = location.config else {
            throw ReadingCommand.fail("--central needs --config FILE: a gateway configuration or a file with a central: section")
        }
        do {
            return try CentralSection.load(path: path)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
    }

    /// Runs `body` with a reader of the central store.
    static func with<T: Sendable>(_ location: StoreLocationOptions, _ body: (CentralReader) async throws -> T) async throws -> T {
        let configuration = try configuration(location)
        return try await CentralSession.with(configuration) { client in
            try await body(CentralReader(client: client, store: configuration.endpointDescription, logger: CentralSession.logger))
        }
    }

    /// The hosts to read: `--host NAME` (which must have shipped) or every host.
    static func hosts(_ reader: CentralReader, named name: String?) async throws -> [CentralReader.Host] {
        let hosts = try await reader.hosts(named: name)
        if let name, hosts.isEmpty {
            throw ReadingCommand.fail("no host named \(name) has shipped to the central store \(reader.store) (see portcullis central hosts)")
        }
        return hosts
    }

    /// `runner-a/c12` or `c12` with `--host runner-a`.
    static func reference(_ text: String, host: String?) throws -> (host: String, reference: RecordReference) {
        var id = text
        var named = host
        if let slash = text.lastIndex(of: "/") {
            let prefix = String(text[..<slash])
            if let host, host != prefix { throw ReadingCommand.fail("'\(text)' names host \(prefix), but --host says \(host)") }
            named = prefix
            id = String(text[text.index(after: slash)...])
        }
        guard let named, !named.isEmpty else {
            throw ReadingCommand.fail("with --central, name the host: HOST/\(id) (as portcullis sessions --central lists it) or --host NAME")
        }
        return (named, try ReadingCommand.reference(id))
    }

    /// The record part of `HOST/ID` (or `ID`).
    static func localPart(_ text: String) -> String {
        guard let slash = text.lastIndex(of: "/") else { return text }
        return String(text[text.index(after: slash)...])
    }

    /// What to copy for one record.
    static func selection(_ reference: RecordReference) -> CentralSelection {
        switch reference {
        case .run(let id): .run(id)
        case .connection(let id): .connection(id)
        case .request(let id): .request(id)
        case .guardEvent(let seq): .guardEvent(seq)
        }
    }

    /// Refuses `--host` without `--central`.
    static func checkHostNeedsCentral(_ location: StoreLocationOptions) throws {
        if location.host != nil, !location.central { throw ReadingCommand.fail("--host NAME reads the central store: add --central") }
    }
}
