/// Splits a watch body into its events: each top-level JSON value, whatever the chunk boundaries
/// (the JSON framing is self-delimiting; newlines between events are not required).
///
/// Memory is bounded: an event longer than `maxEventBytes` comes out cut at that size (`.cut`) and
/// the rest of it is skipped.
struct JSONEventSplitter {
    enum Piece: Sendable, Hashable {
        case event([UInt8])
        /// The first `maxEventBytes` of an event too long to keep whole.
        case cut([UInt8])
    }

    let maxEventBytes: Int
    private var buffer: [UInt8] = []
    private var started = false
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var skipping = false

    init(maxEventBytes: Int) {
        self.maxEventBytes = max(1, maxEventBytes)
    }

    mutating func feed(_ bytes: [UInt8]) -> [Piece] {
        var pieces: [Piece] = []
        var runStart = 0
        var index = 0
        func flushRun(through end: Int) {
            guard !skipping, end > runStart else { return }
            buffer.append(contentsOf: bytes[runStart..<end])
            if buffer.count > maxEventBytes {
                pieces.append(.cut(Array(buffer.prefix(maxEventBytes))))
                buffer = []
                skipping = true
            }
        }
        while index < bytes.count {
            let c = bytes[index]
            if !started {
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                    index += 1
                    runStart = index
                    continue
                }
                started = true
            }
            var ends = false
            if inString {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                    ends = depth == 0
                }
            } else {
                switch c {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    ends = depth <= 0
                case 0x20, 0x0A, 0x0D, 0x09:
                    // Whitespace inside an object or array is part of the event; at the top level it
                    // ends a bare number or literal (and is not part of it).
                    guard depth == 0 else { break }
                    flushRun(through: index)
                    runStart = index
                    finishEvent(into: &pieces)
                    index += 1
                    runStart = index
                    continue
                default: break
                }
            }
            index += 1
            if ends {
                flushRun(through: index)
                runStart = index
                finishEvent(into: &pieces)
            }
        }
        flushRun(through: bytes.count)
        return pieces
    }

    /// What is left when the body ends: an unfinished event, as it is.
    mutating func finish() -> [Piece] {
        defer { reset() }
        guard !skipping, !buffer.isEmpty else { return [] }
        return [.cut(buffer)]
    }

    private mutating func finishEvent(into pieces: inout [Piece]) {
        if !skipping, !buffer.isEmpty { pieces.append(.event(buffer)) }
        reset()
    }

    private mutating func reset() {
        buffer = []
        started = false
        depth = 0
        inString = false
        escaped = false
        skipping = false
    }
}
