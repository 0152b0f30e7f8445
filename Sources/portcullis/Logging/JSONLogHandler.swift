import Foundation
import Kube
import Logging

/// swift-log output as one JSON object per line on standard error, for journald and log
/// shippers: `time`, `level`, `logger`, `message`, then the metadata (sorted by key).
/// What the modules log never holds a token, a key or a Secret's value.
struct JSONLogHandler: LogHandler {
    var label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        FileHandle.standardError.write(Data(Self.line(time: Date(), level: event.level, label: label, message: "\(event.message)",
                                                     metadata: merged)))
    }

    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.string("time", KubeTime(microseconds: Int64((time.timeIntervalSince1970 * 1_000_000).rounded())).rfc3339Micro)
        w.string("level", level.rawValue)
        w.string("logger", label)
        w.string("message", message)
        for key in metadata.keys.sorted() where !["time", "level", "logger", "message"].contains(key) {
            w.string(key, "\(metadata[key].map { "\($0)" } ?? "")")
        }
        return w.finish() + [UInt8(ascii: "\n")]
    }
}
