import Glibc
import Synchronization

/// Finds the process holding a socket, and describes it, from `/proc`.
///
/// The pid comes from scanning `/proc/PID/fd/*` for a link that reads `socket:[INODE]`, one
/// `readlinkat` per descriptor (a few microseconds each). To stay under a millisecond the scan goes,
/// in order (newest process first within each step), through:
/// 1. the processes that held the last sockets found (an agent opens many connections);
/// 2. the processes whose `/proc/PID` belongs to the socket's uid;
/// 3. only if `scanOtherOwners` is on and the first two found nothing: every other process. This
///    catches processes whose `/proc/PID` is root's although their sockets are not (non-dumpable
///    processes such as setuid programs, or a socket made under another fsuid). It costs a full scan.
///
/// Reading another user's `/proc/PID/fd` needs root or CAP_SYS_PTRACE. Without it the scan finds
/// nothing and the answer is nil: the caller still has the uid from sock_diag. Nothing here crashes
/// or throws on a vanished process. A socket a child inherited across fork is attributed to the
/// oldest ancestor that still holds it, its creator; one passed to an unrelated process (SCM_RIGHTS)
/// to whichever holder is found first. A remembered pid that was reused is harmless: it is checked
/// like any other.
public final class ProcessLookup: Sendable {
    public let procRoot: String
    public let scanOtherOwners: Bool
    private let rememberedCount: Int
    private let remembered = Mutex<[Int32]>([])

    /// - Parameters:
    ///   - procRoot: where procfs is mounted.
    ///   - rememberedProcesses: how many recent holders to check first; 0 turns the shortcut off.
    ///   - scanOtherOwners: whether to fall back to a scan of every process (step 3).
    public init(procRoot: String = "/proc", rememberedProcesses: Int = 8, scanOtherOwners: Bool = true) {
        self.procRoot = procRoot
        self.rememberedCount = max(0, rememberedProcesses)
        self.scanOtherOwners = scanOtherOwners
    }

    /// The process holding the socket with `inode`, created by `uid`, described; nil when none is found
    /// or it cannot be read.
    public func process(owningSocketInode inode: UInt64, uid: UInt32) -> CallerProcess? {
        guard let pid = pid(owningSocketInode: inode, uid: uid) else { return nil }
        return describe(pid: pid)
    }

    /// The pid of a process holding the socket with `inode`; nil when none is found. When a parent
    /// holds it too (a child inherited it across fork), the oldest such ancestor: the socket's creator.
    public func pid(owningSocketInode inode: UInt64, uid: UInt32) -> Int32? {
        guard inode != 0 else { return nil }
        let target = Array("socket:[\(inode)]".utf8)
        guard let holder = anyHolder(of: target, uid: uid) else { return nil }
        let creator = oldestHoldingAncestor(of: holder, target)
        remember(creator)
        return creator
    }

    private func anyHolder(of target: [UInt8], uid: UInt32) -> Int32? {
        let recent = remembered.withLock { $0 }
        if let pid = recent.first(where: { holds(pid: $0, target) }) { return pid }
        let pids = processIdentifiers()
        var others: [Int32] = []
        for pid in pids where !recent.contains(pid) {
            guard let owner = owner(of: pid) else { continue }
            if owner == uid {
                if holds(pid: pid, target) { return pid }
            } else {
                others.append(pid)
            }
        }
        guard scanOtherOwners else { return nil }
        return others.first { holds(pid: $0, target) }
    }

    /// Walks up from `pid` while the parent holds the socket too (at most 16 generations).
    private func oldestHoldingAncestor(of pid: Int32, _ target: [UInt8]) -> Int32 {
        var current = pid
        for _ in 0..<16 {
            guard let parent = parent(of: current), parent > 1, holds(pid: parent, target) else { break }
            current = parent
        }
        return current
    }

    /// The `PPid:` of `/proc/PID/status`.
    private func parent(of pid: Int32) -> Int32? {
        guard let status = ProcFiles.read("\(procRoot)/\(pid)/status", limit: 4096) else { return nil }
        for line in status.split(separator: 0x0A) where line.starts(with: Array("PPid:".utf8)) {
            return Int32(String(decoding: line.dropFirst(5).filter { $0 != 0x20 && $0 != 0x09 }, as: UTF8.self))
        }
        return nil
    }

    /// What `/proc/PID` says about a process: executable, command line, cgroup and container id.
    /// nil when the process does not exist (any more).
    public func describe(pid: Int32) -> CallerProcess? {
        let directory = "\(procRoot)/\(pid)"
        guard access(directory, F_OK) == 0 else { return nil }
        let cgroupFile = ProcFiles.read("\(directory)/cgroup").map { String(decoding: $0, as: UTF8.self) }
        let commandLine = ProcFiles.read("\(directory)/cmdline").map(Self.commandLine(from:)) ?? []
        return CallerProcess(pid: pid, executable: ProcFiles.link("\(directory)/exe"), commandLine: commandLine,
                             cgroup: cgroupFile.flatMap(Self.unifiedCgroup(in:)),
                             containerID: cgroupFile.flatMap(Self.containerID(inCgroupFile:)))
    }

    // MARK: Parsing (pure)

    /// `/proc/PID/cmdline`: arguments separated and ended by NUL.
    public static func commandLine(from bytes: [UInt8]) -> [String] {
        var parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if bytes.last == 0 { parts.removeLast() }
        return bytes.isEmpty ? [] : parts
    }

    /// The path of the unified hierarchy (`0::/path`) in the text of `/proc/PID/cgroup`.
    public static func unifiedCgroup(in text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            return String(line.dropFirst(3))
        }
        return nil
    }

    /// The container id of `/proc/PID/cgroup`: from the unified (`0::`) path, else (cgroup v1 or
    /// hybrid hosts) from the first controller path that names one.
    public static func containerID(inCgroupFile text: String) -> String? {
        if let unified = unifiedCgroup(in: text), let id = ContainerID.find(inCgroup: unified) { return id }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if fields.count == 3, let id = ContainerID.find(inCgroup: String(fields[2])) { return id }
        }
        return nil
    }

    // MARK: Scanning

    private func remember(_ pid: Int32) {
        guard rememberedCount > 0 else { return }
        remembered.withLock { list in
            list.removeAll { $0 == pid }
            list.insert(pid, at: 0)
            if list.count > rememberedCount { list.removeLast(list.count - rememberedCount) }
        }
    }

    /// Every pid under `procRoot`, newest first: the process that just opened a connection (a
    /// `kubectl` an agent started) is more likely young than old. Pid wrap-around only costs speed.
    private func processIdentifiers() -> [Int32] {
        var pids: [Int32] = []
        ProcFiles.forEachEntry(in: procRoot) { name in
            if let pid = ProcFiles.number(name) { pids.append(pid) }
            return true
        }
        return pids.sorted(by: >)
    }

    private func owner(of pid: Int32) -> UInt32? {
        var info = stat()
        guard stat("\(procRoot)/\(pid)", &info) == 0 else { return nil }
        return info.st_uid
    }

    /// Whether one of the process's descriptors is a link reading `target`.
    private func holds(pid: Int32, _ target: [UInt8]) -> Bool {
        var found = false
        ProcFiles.forEachLink(in: "\(procRoot)/\(pid)/fd", capacity: target.count + 1) { link in
            found = link.elementsEqual(target)
            return !found
        }
        return found
    }
}
