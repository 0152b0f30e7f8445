/// Reads big-endian fields from a slice of bytes; every read checks the bounds first.
struct SPDYByteReader {
    private(set) var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count }

    mutating func readUInt8() -> UInt8? {
        bytes.popFirst()
    }

    mutating func readUInt32() -> UInt32? {
        guard bytes.count >= 4 else { return nil }
        let i = bytes.startIndex
        let value = UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
        bytes = bytes.dropFirst(4)
        return value
    }

    mutating func readBytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, bytes.count >= count else { return nil }
        defer { bytes = bytes.dropFirst(count) }
        return bytes.prefix(count)
    }

    /// The rest of the bytes.
    mutating func readAll() -> ArraySlice<UInt8> {
        defer { bytes = bytes.suffix(0) }
        return bytes
    }
}
