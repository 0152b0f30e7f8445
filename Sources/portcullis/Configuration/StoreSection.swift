import Store

/// `store:` — where and how the recording is kept (docs/store.md).
struct StoreSection: Equatable {
    /// The SQLite file; `nil` means `<stateDirectory>/recording.sqlite`.
    var path: String?
    /// Request and response bodies are kept up to this many bytes; the rest is cut and the cut noted.
    var bodyLimit = 1 << 20
    /// Records waiting for the writer beyond this many make the gateway refuse new requests (503).
    var queueLimit = 10_000
    /// How long the writer gathers records before it commits them together. With none (the
    /// default), records that arrive while a commit runs share the next one: group commit without
    /// a window. Each request waits for its commit, so a window is added to every request's latency
    /// (bench/results.md measured 2 ms halving throughput at 16 connections).
    var commitDelay: Duration = .zero
    /// Header names (case-insensitive) whose values are replaced by "[REDACTED]". The token header
    /// of `authentication:` is always added.
    var redactedHeaders = ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"]
    /// Replace `data` and `stringData` of v1 Secrets in every body and event.
    var redactSecrets = true
    /// What a commit survives: a crash of the gateway (`process`, the default) or a power loss of
    /// the host too (`host`, an fsync per commit). See docs/store.md.
    var durability = StoreDurability.process
    /// A run (one agent's stretch of work) ends after this long without a request.
    var runIdle: Duration = .seconds(600)

    static func read(_ value: YAMLValue) throws(ConfigurationError) -> StoreSection {
        let fields = try value.mapping(allowed: ["path", "bodyLimit", "queueLimit", "commitDelay", "redaction", "durability", "runIdle"])
        var section = StoreSection()
        if let v = fields["path"] {
            let path = try v.string()
            guard path.hasPrefix("/") else { throw v.error("expected an absolute path, got '\(path)'") }
            section.path = path
        }
        if let v = fields["bodyLimit"] { section.bodyLimit = try v.byteSize(in: 0...(256 << 20)) }
        if let v = fields["queueLimit"] { section.queueLimit = Int(try v.unsigned(UInt32.self, in: 1...10_000_000)) }
        if let v = fields["commitDelay"] {
            section.commitDelay = try v.duration()
            guard section.commitDelay <= .seconds(1) else { throw v.error("expected at most 1s: every request waits for its commit") }
        }
        if let v = fields["runIdle"] {
            section.runIdle = try v.duration()
            guard section.runIdle >= .seconds(1), section.runIdle <= .seconds(7 * 86_400) else {
                throw v.error("expected from 1s to 7d")
            }
        }
        if let v = fields["durability"] {
            let text = try v.string()
            guard let durability = StoreDurability(rawValue: text) else {
                throw v.error("expected process (a commit survives a crash of the gateway) or host (it survives a power loss too), got '\(text)'")
            }
            section.durability = durability
        }
        if let v = fields["redaction"] {
            let redaction = try v.mapping(allowed: ["headers", "secrets"])
            if let headers = redaction["headers"] { section.redactedHeaders = try headers.strings() }
            if let secrets = redaction["secrets"] { section.redactSecrets = try secrets.bool() }
        }
        return section
    }
}

extension YAMLValue {
    /// A number of bytes: `65536`, `64KiB`, `1MiB`.
    func byteSize(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let text = try string()
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let (count, overflow) = (Int(text.dropLast(suffix.count)) ?? -1).multipliedReportingOverflow(by: factor)
            guard count >= 0, !overflow, range.contains(count) else { break }
            return count
        }
        throw error("expected a size from \(range.lowerBound) to \(range.upperBound) bytes such as 65536, 64KiB or 1MiB, got '\(text)'")
    }
}
