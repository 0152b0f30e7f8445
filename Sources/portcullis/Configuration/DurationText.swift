/// Durations as operators write them: `90s`, `5m`, `72h`, `1h30m`.
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        for c in text {
            if c.isNumber {
                number.append(c)
                continue
            }
            guard let value = Int64(number) else { return nil }
            switch c {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86_400
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit else { return nil }
        return .seconds(total)
    }
}
