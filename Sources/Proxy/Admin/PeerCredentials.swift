import Foundation
import NIOCore

/// Who is at the other end of a unix socket, as the kernel says (SO_PEERCRED), with the
/// supplementary groups of that process.
public struct PeerCredentials: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// The process's supplementary groups (from /proc/PID/status), empty when unreadable.
    public var groups: [UInt32]

    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: [UInt32] = []) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// `struct ucred` of <sys/socket.h>, which Glibc's Swift module does not export.
    private struct UCred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// The peer of `channel`, a connected unix socket.
    static func of(_ channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(PeerCredentialsError())
        }
        let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET),
                                                                            name: SocketOptionName(SO_PEERCRED))
        return future.map { raw in
            PeerCredentials(pid: raw.pid, uid: raw.uid, gid: raw.gid, groups: supplementaryGroups(pid: raw.pid))
        }
    }

    static func supplementaryGroups(pid: Int32) -> [UInt32] {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Groups:") }) else { return [] }
        return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
    }

    /// Root, or a member of `group`.
    public func mayAdminister(group: UInt32?) -> Bool {
        if uid == 0 { return true }
        guard let group else { return false }
        return gid == group || groups.contains(group)
    }
}

struct PeerCredentialsError: Error, CustomStringConvertible {
    var description: String { "the admin socket cannot tell who connected (SO_PEERCRED unavailable)" }
}
