import Glibc
import Kube

/// The clocks the guard reads.
public enum GuardClock {
    /// CLOCK_MONOTONIC in nanoseconds: for windows and rates, immune to wall-clock steps.
    @Sendable public static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// The wall clock, for timestamps in records.
    public static func wallTime() -> KubeTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return KubeTime(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to zero for negative durations.
    var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(max(attoseconds, 0) / 1_000_000_000)
    }
}
