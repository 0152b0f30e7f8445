/// How requests that hit a `review` rule are held.
public struct ReviewSettings: Sendable, Hashable {
    /// How long a request waits for a reviewer; then it is denied.
    public var timeout: Duration
    /// How many requests may wait at once; beyond that a request is denied at once.
    public var maxHeld: Int

    public init(timeout: Duration = .seconds(300), maxHeld: Int = 16) {
        self.timeout = timeout
        self.maxHeld = maxHeld
    }
}
