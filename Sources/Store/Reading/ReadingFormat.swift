import Foundation
import Kube

/// How readings print times, durations, sizes and captured bytes.
public enum ReadingFormat {
    /// `2026-01-01T12:00:00.123456Z`
    public static func time(_ microseconds: Int64) -> String { KubeTime(microseconds: microseconds).rfc3339Micro }

    /// `2026-01-01T12:00:00Z`
    public static func shortTime(_ microseconds: Int64) -> String { KubeTime(microseconds: microseconds).rfc3339 }

    /// `850us`, `12.3ms`, `1.25s`, `3m04s`, `2h03m`.
    public static func duration(_ microseconds: Int64) -> String {
        let us = max(microseconds, 0)
        switch us {
        case ..<1000: return "\(us)us"
        case ..<1_000_000: return String(format: "%.1fms", Double(us) / 1000)
        case ..<60_000_000: return String(format: "%.2fs", Double(us) / 1_000_000)
        case ..<3_600_000_000:
            let s = us / 1_000_000
            return String(format: "%dm%02ds", s / 60, s % 60)
        default:
            let m = us / 60_000_000
            return String(format: "%dh%02dm", m / 60, m % 60)
        }
    }

    /// `512 B`, `1.2 KiB`, `3.4 MiB`.
    public static func size(_ bytes: Int64) -> String {
        switch bytes {
        case ..<1024: return "\(bytes) B"
        case ..<(1024 * 1024): return String(format: "%.1f KiB", Double(bytes) / 1024)
        default: return String(format: "%.1f MiB", Double(bytes) / (1024 * 1024))
        }
    }

    /// The bytes as a Go-style quoted string, cut after `limit` characters: `"ls -l\n"`.
    public static func quoted(_ bytes: [UInt8], limit: Int = 120) -> String {
        var out = "\""
        var count = 0
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            if count >= limit {
                out += "\"..."
                return out
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += String(format: "\\x%02x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out + "\""
    }

    /// The bytes as text when they are UTF-8, else `nil`.
    public static func text(_ bytes: [UInt8]) -> String? { String(validating: bytes, as: UTF8.self) }
}

/// Columns padded to their widest cell, two spaces apart; the last column is not padded.
public struct TextTable {
    public var header: [String]
    var rows: [[String]] = []

    public init(_ header: [String]) { self.header = header }

    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The header line, then one line per row.
    public func lines() -> [String] {
        let all = [header] + rows
        var widths = Array(repeating: 0, count: header.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }
    }
}
