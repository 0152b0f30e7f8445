/// `logging:` — how `portcullis up` writes its logs to standard error: `json` (one object per
/// line, the default) or `text`; and the least severe level written.
struct LoggingSection: Equatable {
    var json = true
    var level = "info"

    static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static func read(_ value: YAMLValue) throws(ConfigurationError) -> LoggingSection {
        let fields = try value.mapping(allowed: ["format", "level"])
        var section = LoggingSection()
        if let v = fields["format"] {
            switch try v.string() {
            case "json": section.json = true
            case "text": section.json = false
            case let other: throw v.error("expected json or text, got '\(other)'")
            }
        }
        if let v = fields["level"] {
            let level = try v.string()
            guard levels.contains(level) else { throw v.error("expected one of \(levels.joined(separator: ", ")), got '\(level)'") }
            section.level = level
        }
        return section
    }
}
