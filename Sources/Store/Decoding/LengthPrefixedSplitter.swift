/// Splits a protobuf watch stream (`application/vnd.kubernetes.protobuf;stream=watch`): each frame
/// is a 4-byte big-endian length and that many bytes. Frames longer than `maxFrameBytes` come out
/// cut to that size (with their length prefix).
struct LengthPrefixedSplitter {
    let maxFrameBytes: Int
    private var buffer: [UInt8] = []
    private var skip = 0

    init(maxFrameBytes: Int) {
        self.maxFrameBytes = max(4, maxFrameBytes)
    }

    mutating func feed(_ bytes: [UInt8]) -> [[UInt8]] {
        var input = bytes[...]
        if skip > 0 {
            let n = min(skip, input.count)
            skip -= n
            input = input.dropFirst(n)
        }
        buffer.append(contentsOf: input)
        var frames: [[UInt8]] = []
        while buffer.count >= 4 {
            let length = Int(buffer[0]) << 24 | Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
            let total = 4 + length
            if total > maxFrameBytes {
                guard buffer.count >= maxFrameBytes else { break }
                frames.append(Array(buffer.prefix(maxFrameBytes)))
                let dropped = min(total, buffer.count)
                buffer.removeFirst(dropped)
                skip = total - dropped
                if skip > 0 { break }
            } else if total <= buffer.count {
                frames.append(Array(buffer[..<total]))
                buffer.removeFirst(total)
            } else {
                break
            }
        }
        return frames
    }

    mutating func finish() -> [[UInt8]] {
        defer { buffer = [] }
        return buffer.isEmpty ? [] : [buffer]
    }
}
