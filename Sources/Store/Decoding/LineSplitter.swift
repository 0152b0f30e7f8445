/// Splits a log stream into lines, each with its newline, whatever the chunk boundaries. A line
/// longer than `maxLineBytes` comes out in pieces of that size.
struct LineSplitter {
    let maxLineBytes: Int
    private var buffer: [UInt8] = []

    init(maxLineBytes: Int) {
        self.maxLineBytes = max(1, maxLineBytes)
    }

    mutating func feed(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            buffer.append(contentsOf: bytes[start...newline])
            start = newline + 1
            emitLong(into: &lines)
            if !buffer.isEmpty { lines.append(buffer) }
            buffer = []
        }
        buffer.append(contentsOf: bytes[start...])
        emitLong(into: &lines)
        return lines
    }

    /// The last line when it has no newline.
    mutating func finish() -> [[UInt8]] {
        defer { buffer = [] }
        return buffer.isEmpty ? [] : [buffer]
    }

    private mutating func emitLong(into lines: inout [[UInt8]]) {
        while buffer.count > maxLineBytes {
            lines.append(Array(buffer.prefix(maxLineBytes)))
            buffer.removeFirst(maxLineBytes)
        }
    }
}
