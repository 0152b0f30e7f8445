/// Durations as operators write them and kubectl prints them: `2s`, `5m`, `1h30m`, `1m30s`.
public enum DurationWords {
    /// Whole seconds; sub-second durations print as `0s` unless they are milliseconds (`250ms`).
    public static func text(_ duration: Duration) -> String {
        var seconds = duration.components.seconds
        if seconds == 0, duration > .zero { return "\(duration.components.attoseconds / 1_000_000_000_000_000)ms" }
        var text = ""
        for (unit, size) in [("h", Int64(3600)), ("m", Int64(60))] where seconds >= size {
            text += "\(seconds / size)\(unit)"
            seconds %= size
        }
        return text.isEmpty || seconds > 0 ? text + "\(seconds)s" : text
    }
}
