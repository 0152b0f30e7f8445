/// Splits captured output into lines.
public enum TextLines {
    /// The lines of `bytes` without their `\n` (and without a `\r` before it).
    ///
    /// A last line with no newline yet is included only when `includeUnterminated` is true: while a
    /// process is still writing, it may be half a line.
    public static func lines(of bytes: [UInt8], includeUnterminated: Bool = true) -> [String] {
        var result: [String] = []
        var start = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            result.append(line(bytes[start..<index]))
            start = index + 1
        }
        if includeUnterminated && start < bytes.count {
            result.append(line(bytes[start...]))
        }
        return result
    }

    /// The lines of `text`, the last one included even without a newline; no trailing empty line.
    public static func lines(of text: String) -> [String] {
        lines(of: Array(text.utf8), includeUnterminated: true)
    }

    private static func line(_ slice: ArraySlice<UInt8>) -> String {
        let trimmed = slice.last == UInt8(ascii: "\r") ? slice.dropLast() : slice
        return String(decoding: trimmed, as: UTF8.self)
    }
}
