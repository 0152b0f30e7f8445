/// The fuzzer's bytes as a source of choices, for targets that build structured inputs (a Secret
/// in JSON or protobuf) from them: every call consumes bytes, and reads zeros past the end, so any
/// input is a valid sequence of choices.
public struct FuzzInput {
    public let bytes: [UInt8]
    private var index = 0

    public init(_ data: UnsafeRawPointer, _ count: Int) {
        bytes = Array(UnsafeRawBufferPointer(start: data, count: count))
    }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var isExhausted: Bool { index >= bytes.count }

    public mutating func byte() -> UInt8 {
        defer { index += 1 }
        return index < bytes.count ? bytes[index] : 0
    }

    /// A number in `0..<bound` (bound at most 256).
    public mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(byte()) % bound }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// Up to `limit` bytes, its length chosen by the next byte.
    public mutating func chunk(upTo limit: Int) -> [UInt8] {
        let wanted = below(limit + 1)
        let start = min(index, bytes.count)
        let count = min(wanted, bytes.count - start)
        index = start + count
        return Array(bytes[start..<(start + count)])
    }

    /// Everything not consumed yet.
    public mutating func rest() -> [UInt8] {
        defer { index = bytes.count }
        return index < bytes.count ? Array(bytes[index...]) : []
    }
}

/// The fuzzer's bytes as they came.
public func fuzzBytes(_ data: UnsafeRawPointer, _ count: Int) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: data, count: count))
}

/// Splits `bytes` into pieces whose sizes come from `sizes` (cycled; 0 counts as 1), to feed an
/// incremental parser the way a network delivers bytes.
public func pieces(_ bytes: [UInt8], sizes: [UInt8]) -> [[UInt8]] {
    guard !sizes.isEmpty else { return [bytes] }
    var out: [[UInt8]] = []
    var index = 0, turn = 0
    while index < bytes.count {
        let size = max(1, Int(sizes[turn % sizes.count]))
        out.append(Array(bytes[index..<min(bytes.count, index + size)]))
        index += size
        turn += 1
    }
    return out
}

/// Stops the run, so libFuzzer keeps the input as a crash, when a property does not hold.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("property violated: \(String(reflecting: message()))") }
}

/// Whether `needle` occurs in `haystack`.
public func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
    let first = needle[0]
    for start in 0...(haystack.count - needle.count) where haystack[start] == first {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
}
