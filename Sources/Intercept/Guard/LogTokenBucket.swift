/// A token bucket for log lines: holds at most `capacity` tokens, refills `perSecond` tokens a second,
/// and starts full. Not thread-safe: its owner keeps it under a lock.
struct LogTokenBucket: Sendable {
    let capacity: Double
    let perNanosecond: Double
    private(set) var tokens: Double
    private var last: UInt64?

    init(capacity: Int, perSecond: Double) {
        self.capacity = Double(max(capacity, 1))
        self.perNanosecond = max(perSecond, 0) / 1e9
        self.tokens = self.capacity
    }

    /// Takes a token at monotonic time `now` (nanoseconds) if one is there.
    mutating func take(now: UInt64) -> Bool {
        if let last, now > last {
            tokens = min(capacity, tokens + Double(now - last) * perNanosecond)
        }
        if last.map({ now > $0 }) ?? true { last = now }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
