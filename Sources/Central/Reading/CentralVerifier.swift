import Logging
import Store

/// `verify --central`: each host's chain as the central store holds it, its end against the last
/// shipment, and (run on a host) the local store against the shipped copy, which catches a local
/// rewrite after shipping that the local chain alone cannot show.
public struct CentralVerifier: Sendable {
    public let reader: CentralReader
    /// Hashes compared per query.
    static let window: Int64 = 5_000

    public init(reader: CentralReader) {
        self.reader = reader
    }

    public func verify(_ host: CentralReader.Host, local: StoreDatabase? = nil) async throws(CentralStoreError) -> CentralVerification {
        var result = CentralVerification(host: host.name)
        do {
            let scratch = try await reader.open(host: host.name, .everything)
            defer { scratch.remove() }
            let anchor = try await reader.anchor(host: host.name)
            let report: VerificationReport
            do {
                report = try await scratch.database.pool.read { db in try StoreVerifier.verify(db, anchor: anchor) }
            } catch {
                throw CentralStoreError.server(store: reader.store, doing: "verifying host \(host.name)", sqlState: "-", message: "\(error)")
            }
            result.report = report
            if report.problem == nil { result.tailProblem = Self.tail(report, host) }
        } catch {
            let error = CentralStoreError.from(error, store: reader.store, doing: "verifying host \(host.name)")
            guard case .permissionDenied(_, _, let message) = error else { throw error }
            result.contentSkipped = "the role may not read the rows themselves (\(message)); use the reviewer's credentials to check them"
        }
        if let local { result.local = try await compare(host, local: local) }
        return result
    }

    /// The chain must end where the last shipment did, with the same hash.
    static func tail(_ report: VerificationReport, _ host: CentralReader.Host) -> String? {
        let last = report.lastSeq ?? 0
        if last < host.lastSeq {
            return "rows seq \(last + 1) to \(host.lastSeq) were removed from the central store: its last shipment ended at seq \(host.lastSeq)"
        }
        if last == host.lastSeq, report.head != host.lastHash {
            return "its last row (seq \(last)) does not carry the hash the shipment recorded"
        }
        return nil
    }

    /// The local rows against the shipped ones, seq by seq, over what both should hold.
    func compare(_ host: CentralReader.Host, local: StoreDatabase) async throws(CentralStoreError) -> CentralVerification.LocalComparison {
        let firstLocal: Int64?
        do {
            firstLocal = try ChainSlice.firstSeq(local)
        } catch {
            throw .server(store: reader.store, doing: "reading the local store", sqlState: "-", message: "\(error)")
        }
        var comparison = CentralVerification.LocalComparison(rowsCompared: 0, firstSeq: nil, lastSeq: nil, difference: nil)
        guard let start = firstLocal else {
            if host.lastSeq > 0 { comparison.difference = "the local store is empty, but the central store holds rows through seq \(host.lastSeq)" }
            return comparison
        }
        comparison.firstSeq = start
        var from = start
        while from <= host.lastSeq {
            let through = min(host.lastSeq, from + Self.window - 1)
            let remote = try await reader.hashes(host: host.name, from: from, through: through)
            let mine: [(seq: Int64, hash: [UInt8])]
            do {
                mine = try ChainSlice.hashes(local, from: from, through: through)
            } catch {
                throw .server(store: reader.store, doing: "reading the local store", sqlState: "-", message: "\(error)")
            }
            if let difference = Self.firstDifference(remote: remote, local: mine) {
                comparison.difference = difference
                return comparison
            }
            comparison.rowsCompared += remote.count
            comparison.lastSeq = remote.last?.seq ?? comparison.lastSeq
            from = through + 1
        }
        return comparison
    }

    static func firstDifference(remote: [(seq: Int64, hash: [UInt8])], local: [(seq: Int64, hash: [UInt8])]) -> String? {
        var mine: [Int64: [UInt8]] = [:]
        for row in local { mine[row.seq] = row.hash }
        var theirs = Set<Int64>()
        for row in remote {
            theirs.insert(row.seq)
            guard let hash = mine[row.seq] else {
                return "local row seq \(row.seq) is missing: it was deleted from the local store after it was shipped"
            }
            if hash != row.hash {
                return "local row seq \(row.seq) differs from the one shipped: the local record was rewritten after it was shipped"
            }
        }
        if let extra = local.first(where: { !theirs.contains($0.seq) }) {
            return "the central store lacks row seq \(extra.seq), which the local store holds and shipped: it was removed there"
        }
        return nil
    }
}
