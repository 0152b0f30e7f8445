/// `logging:` — how `portcullis up` writes its logs to standard error: `json` (one object per
/// line, the default) or `text`; the least severe level written; and whether the event lines on
/// standard output include every request, response and stream (`requests`, off by default: the
/// store records them all, and `portcullis tail` follows them).
struct LoggingSection: Equatable {
    var json = true
    var level = "info"
    var requests = false

    static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static func read(_ value: YAMLValue) throws(ConfigurationError) -> LoggingSection {
        let fields = try value.mapping(allowed: ["format", "level", "requests"])
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
        if let v = fields["requests"] { section.requests = try v.bool() }
        return section
    }
}
