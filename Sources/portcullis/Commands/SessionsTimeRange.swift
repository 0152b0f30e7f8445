import ArgumentParser
import Foundation
import Kube

/// `--since` and `--until`: an RFC 3339 time (`2026-01-01T12:00:00Z`), a date (`2026-01-01`,
/// midnight UTC), or a duration before now (`90s`, `15m`, `1h`, `7d`, `1h30m`).
struct SessionsTimeRange: ParsableArguments {
    @Option(name: .customLong("since"), help: ArgumentHelp("Only records at or after this time: RFC 3339, a date, or a duration ago such as 1h.",
                                                            valueName: "time"))
    var since: String?

    @Option(name: .customLong("until"), help: ArgumentHelp("Only records at or before this time: RFC 3339, a date, or a duration ago.",
                                                            valueName: "time"))
    var until: String?

    /// The bounds in microseconds since the epoch; exits 2 naming a bad value.
    func bounds(now: Int64 = SessionsTimeRange.now()) throws -> (since: Int64?, until: Int64?) {
        let lower = try since.map { text throws -> Int64 in try Self.parse(text, option: "--since", now: now) }
        let upper = try until.map { text throws -> Int64 in try Self.parse(text, option: "--until", now: now) }
        if let lower, let upper, lower > upper {
            throw ReadingCommand.fail("--since \(since ?? "") is after --until \(until ?? "")")
        }
        return (lower, upper)
    }

    static func parse(_ text: String, option: String, now: Int64) throws -> Int64 {
        if let time = KubeTime(rfc3339: text) { return time.microseconds }
        if text.count == 10, let day = KubeTime(rfc3339: text + "T00:00:00Z") { return day.microseconds }
        if let duration = DurationText.parse(text) {
            let (seconds, fraction) = duration.components
            return now - seconds * 1_000_000 - fraction / 1_000_000_000_000
        }
        throw ReadingCommand.fail("\(option): expected an RFC 3339 time (2026-01-01T12:00:00Z), a date (2026-01-01) or a duration ago (90s, 15m, 1h, 7d), got '\(text)'")
    }

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }
}
