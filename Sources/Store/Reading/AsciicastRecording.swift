import Foundation
import Kube

/// An asciicast v2 recording of the exec and attach streams a replay played: a header line, then
/// one `[time, code, data]` line per event (`o` output, stdout and stderr alike; `i` input; `r`
/// resize as `COLSxROWS`). Times are seconds from the start of the first stream as recorded,
/// whatever the replay speed; several streams follow one another without gaps.
public struct AsciicastRecording: Sendable {
    public struct Event: Sendable, Hashable {
        public var time: Double
        public var code: String
        public var data: String
    }

    public var width: Int?
    public var height: Int?
    /// Unix seconds when the first stream started.
    public var timestamp: Int64?
    public var title: String?
    public var idleTimeLimit: Double?
    public private(set) var events: [Event] = []

    /// Seconds at which the current stream started, on the recording's clock.
    private var streamOffset: Double = 0
    private var streamStart: Int64 = 0
    private var lastTime: Double = 0
    private var carries: [String: UTF8Carry] = [:]

    public init(idleTimeLimit: Double? = nil) { self.idleTimeLimit = idleTimeLimit }

    public static let defaultWidth = 80
    public static let defaultHeight = 24

    /// Starts the next stream, which began at `start` (microseconds since the epoch).
    public mutating func beginStream(at start: Int64, title: String) {
        flushCarries()
        if timestamp == nil {
            timestamp = start / 1_000_000
            self.title = title
        }
        streamOffset = lastTime
        streamStart = start
    }

    /// Adds a stream event: output, input or a resize; other channels are ignored.
    public mutating func add(_ event: StreamEventRecord) {
        let time = max(lastTime, streamOffset + Double(event.at - streamStart) / 1_000_000)
        switch event.channel {
        case "stdout", "stderr", "stdin":
            var carry = carries[event.channel] ?? UTF8Carry()
            let text = carry.decode(event.data)
            carries[event.channel] = carry
            if !text.isEmpty { append(time, event.channel == "stdin" ? "i" : "o", text) }
        case "resize":
            guard let size = TerminalSize(json: event.data) else { return }
            if width == nil {
                width = size.width
                height = size.height
            } else {
                append(time, "r", "\(size.width)x\(size.height)")
            }
        default:
            return
        }
    }

    private mutating func append(_ time: Double, _ code: String, _ data: String) {
        events.append(Event(time: time, code: code, data: data))
        lastTime = time
    }

    private mutating func flushCarries() {
        for channel in carries.keys.sorted() {
            var carry = carries[channel] ?? UTF8Carry()
            let text = carry.flush()
            if !text.isEmpty { append(lastTime, channel == "stdin" ? "i" : "o", text) }
        }
        carries = [:]
    }

    /// The file's lines, each without its newline.
    public mutating func finish() -> [String] {
        flushCarries()
        var header = GoJSONObjectWriter()
        header.int("version", 2)
        header.int("width", Int64(width ?? Self.defaultWidth))
        header.int("height", Int64(height ?? Self.defaultHeight))
        if let timestamp { header.int("timestamp", timestamp) }
        if let idleTimeLimit { header.raw("idle_time_limit", Array(Self.seconds(idleTimeLimit).utf8)) }
        header.stringOmitEmpty("title", title)
        return [header.finishedText] + events.map { event in
            var data: [UInt8] = []
            GoJSON.appendString(event.data, to: &data)
            var code: [UInt8] = []
            GoJSON.appendString(event.code, to: &code)
            return "[\(Self.seconds(event.time)), \(String(decoding: code, as: UTF8.self)), \(String(decoding: data, as: UTF8.self))]"
        }
    }

    /// `1.250000`
    static func seconds(_ value: Double) -> String { String(format: "%.6f", value) }
}

