/// What the recorder keeps of bodies and streams. Plain values; the defaults suit a gateway.
public struct StoreRecorderConfiguration: Sendable, Hashable {
    /// Response bodies are kept up to this many (decoded) bytes; the rest is cut and the cut noted.
    /// (Request bodies arrive already cut by the proxy.)
    public var bodyLimit: Int
    /// A WebSocket message, watch event or log line longer than this is recorded in pieces (or, for
    /// a watch event, cut), so no stream holds more than this in memory.
    public var maxStreamMessageBytes: Int
    public var redaction: RedactionConfiguration
    /// How the proxy's connection and request numbers (which restart at 1 with each process) become
    /// the store's ids, which must stay unique across restarts.
    public var identifiers: IdentifierMapping
    /// A run ends after this long without a request or a response's end (`store.runIdle`).
    public var runIdle: Duration

    public enum IdentifierMapping: Sendable, Hashable {
        /// Each number is added to the highest id already in the store when the recorder starts.
        case offsetPastStoredIDs
        /// The numbers are used as they are (the proxy already makes them unique in the store).
        case asGiven
    }

    public init(bodyLimit: Int = 1 << 20, maxStreamMessageBytes: Int = 256 * 1024,
                redaction: RedactionConfiguration = RedactionConfiguration(), identifiers: IdentifierMapping = .offsetPastStoredIDs,
                runIdle: Duration = .seconds(600)) {
        self.bodyLimit = max(0, bodyLimit)
        self.maxStreamMessageBytes = max(64, maxStreamMessageBytes)
        self.redaction = redaction
        self.identifiers = identifiers
        self.runIdle = max(.seconds(1), runIdle)
    }
}
