/// The first thing wrong with the chain: which row, and what.
public struct ChainProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The row's content (or its hash) was changed: its hash does not follow from its content
        /// and the row before it.
        case altered
        /// Rows with these `seq`s are missing before this row.
        case deleted(missing: ClosedRange<Int64>)
        /// The row carries another `seq` than the one it was written with (`writtenAs`): rows
        /// were swapped or renumbered.
        case reordered(writtenAs: Int64)
        /// Two rows carry the same `seq`.
        case duplicateSeq
    }

    public var kind: Kind
    public var table: String
    public var seq: Int64
    /// The record the row belongs to, e.g. `request_id 42`; nil for tables without one.
    public var record: String?
    /// What is wrong, in words.
    public var detail: String

    public init(kind: Kind, table: String, seq: Int64, record: String?, detail: String) {
        self.kind = kind
        self.table = table
        self.seq = seq
        self.record = record
        self.detail = detail
    }

    public var description: String {
        let what: String
        switch kind {
        case .altered: what = "altered"
        case .deleted: what = "deleted rows before it"
        case .reordered: what = "reordered"
        case .duplicateSeq: what = "duplicate seq"
        }
        return "\(table) seq \(seq)" + (record.map { " (\($0))" } ?? "") + ": \(what): \(detail)"
    }
}

/// What ``StoreVerifier`` found.
public struct VerificationReport: Sendable, Hashable, CustomStringConvertible {
    /// Rows whose hashes were recomputed (up to the problem, if any).
    public var rowsChecked: Int
    public var firstSeq: Int64?
    public var lastSeq: Int64?
    /// The hash of the last row checked; compare it with a copy kept elsewhere to detect rows
    /// removed from the end, which a chain alone cannot show.
    public var head: [UInt8]
    /// When the chain starts after a prune: the checkpoint's `pruned_through_seq`.
    public var prunedThroughSeq: Int64?
    /// The first problem; nil when the chain is intact.
    public var problem: ChainProblem?

    public var isIntact: Bool { problem == nil }

    public var headHex: String { head.hexString }

    public var description: String {
        if let problem { return "the record was tampered with: \(problem)" }
        let range = firstSeq.map { "seq \($0) to \(lastSeq ?? $0)" } ?? "no rows"
        let anchor = prunedThroughSeq.map { ", starting after the checkpoint of rows through seq \($0)" } ?? ""
        return "the record is intact: \(rowsChecked) rows, \(range)\(anchor); head \(headHex)"
    }
}
