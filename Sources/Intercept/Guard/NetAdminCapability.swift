import Glibc

/// Whether the calling thread holds CAP_NET_ADMIN, from `/proc/thread-self/status` (capabilities
/// are per thread). `nil` when that cannot be read.
enum NetAdminCapability {
    static let bit: UInt64 = 1 << 12

    static func isEffective() -> Bool? {
        guard let file = fopen("/proc/thread-self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("CapEff:") else { continue }
            let hex = text.dropFirst("CapEff:".count).trimmingWhitespace
            return UInt64(hex, radix: 16).map { $0 & bit != 0 }
        }
        return nil
    }
}

private extension Substring {
    var trimmingWhitespace: Substring {
        var text = self
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
