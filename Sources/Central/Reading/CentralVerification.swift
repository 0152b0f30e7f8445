import Store

/// What `verify --central` found for one host.
public struct CentralVerification: Sendable {
    public var host: String
    /// The chain as the central store holds it; nil when it could not be read (see ``contentSkipped``).
    public var report: VerificationReport?
    /// Why the chain's content was not checked (the role may read only hashes).
    public var contentSkipped: String?
    /// Rows removed from the end of the host's chain in the central store (its last shipment
    /// says where the chain ended), or a head that differs from the shipped one.
    public var tailProblem: String?
    /// The local store compared with the central copy, when run on the host.
    public var local: LocalComparison?

    public struct LocalComparison: Sendable {
        public var rowsCompared: Int
        public var firstSeq: Int64?
        public var lastSeq: Int64?
        /// The first difference, in words; nil when the two agree.
        public var difference: String?
    }

    public var isIntact: Bool {
        report?.problem == nil && tailProblem == nil && local?.difference == nil
    }
}
