import Foundation

/// Processes as /proc shows them now: for signalling a daemon that forked away from the test
/// (a PostgreSQL postmaster and its backends), which is nobody's ``ChildProcess``.
///
/// Everything here is a snapshot: a process may start or end right after it is taken.
enum ProcessTree {
    /// The parent pid of every process (field 4 of /proc/PID/stat).
    static func parents() -> [Int32: Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [:] }
        var parents: [Int32: Int32] = [:]
        for entry in entries {
            guard let pid = Int32(entry), let parent = parent(of: pid) else { continue }
            parents[pid] = parent
        }
        return parents
    }

    /// The parent pid of `pid`, or `nil` if it is gone. The command name in parentheses may hold
    /// spaces and parentheses itself, so the fields are read after the last `)`.
    static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// Every descendant of `pid`, parents before their children.
    static func descendants(of pid: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for (child, parent) in parents() { children[parent, default: []].append(child) }
        var result: [Int32] = []
        var queue = children[pid] ?? []
        while !queue.isEmpty {
            let next = queue.removeFirst()
            result.append(next)
            queue += children[next] ?? []
        }
        return result
    }

    /// The arguments `pid` was started with, or `nil` if it is gone (or a zombie).
    static func commandLine(of pid: Int32) -> [String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// True while `pid` exists and is not a zombie (an ended process its parent has not reaped yet).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }
}
