/// Durations as operators write them: `2ms`, `90s`, `5m`, `72h`, `7d`, `1h30m`.
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        var total: Duration = .zero
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard digits.count <= 9, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit: Duration
            if rest.hasPrefix("ms") {
                unit = .milliseconds(1)
                rest = rest.dropFirst(2)
            } else {
                switch rest.first {
                case "s": unit = .seconds(1)
                case "m": unit = .seconds(60)
                case "h": unit = .seconds(3600)
                case "d": unit = .seconds(86_400)
                default: return nil
                }
                rest = rest.dropFirst()
            }
            total += unit * value
        }
        return total
    }
}
