/// How a replay is played.
public struct ReplayOptions: Sendable, Hashable {
    /// How many times faster than recorded exec and attach streams play; 0 plays without delays.
    public var speed: Double
    /// The longest pause, in seconds, whatever was recorded; `nil` for none.
    public var idleLimit: Double?
    /// Whether to tell the requests and responses; `false` writes only the streams' bytes.
    public var narrate: Bool
    /// Whether to print request and response bodies in the narrative.
    public var bodies: Bool

    public init(speed: Double = 1, idleLimit: Double? = nil, narrate: Bool = true, bodies: Bool = false) {
        self.speed = speed
        self.idleLimit = idleLimit
        self.narrate = narrate
        self.bodies = bodies
    }

    /// The pause before an event `microseconds` after the previous one.
    public func pause(_ microseconds: Int64) -> Duration? {
        guard speed > 0, microseconds > 0 else { return nil }
        var seconds = Double(microseconds) / 1_000_000 / speed
        if let idleLimit { seconds = min(seconds, idleLimit) }
        guard seconds > 0 else { return nil }
        return .microseconds(Int64((seconds * 1_000_000).rounded()))
    }
}

/// What a replay found.
public struct ReplayResult: Sendable, Hashable {
    /// Exec and attach streams played.
    public var terminalSessions: Int = 0
    /// The exit code of the last exec or attach, when its error channel carried one.
    public var exitCode: Int?
    /// Requests told.
    public var requests: Int = 0

    public init() {}
}
