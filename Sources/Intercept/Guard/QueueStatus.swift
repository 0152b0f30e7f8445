import Glibc

/// The kernel's view of one netfilter queue, from `/proc/net/netfilter/nfnetlink_queue`.
///
/// The kernel lists a queue only while a netlink socket is bound to it (`nfqnl_recv_config`
/// creates the instance on bind and destroys it on unbind or when the socket closes). So a queue
/// that is missing has no listener, and every packet an NFQUEUE rule sends to it without
/// `--queue-bypass` is dropped without being counted here (only the rule's own counters see it).
///
/// Each line is `seq_printf("%5u %6u %5u %1u %5u %5u %5u %8u %2d\n", ...)` in `nfqnl_seq_show`.
public struct QueueStatus: Sendable, Hashable {
    /// The queue number (`--queue-num`).
    public var queue: UInt16
    /// The netlink port id of the listening socket.
    public var peerPortID: UInt32
    /// Packets waiting in the queue for a verdict now.
    public var waiting: UInt32
    /// 0 none, 1 metadata only, 2 packet (`NFQNL_COPY_*`).
    public var copyMode: UInt8
    /// How many bytes of each packet are copied to the listener.
    public var copyRange: UInt32
    /// Packets dropped because the queue was full (`queue_dropped`; fail closed: no FAIL_OPEN flag).
    public var queueDropped: UInt32
    /// Packets dropped because the listener's socket could not take them (`queue_user_dropped`).
    public var userDropped: UInt32
    /// The id the kernel gave the last queued packet; ids count every packet ever queued.
    public var idSequence: UInt32

    public init(queue: UInt16, peerPortID: UInt32, waiting: UInt32, copyMode: UInt8, copyRange: UInt32,
                queueDropped: UInt32, userDropped: UInt32, idSequence: UInt32) {
        self.queue = queue
        self.peerPortID = peerPortID
        self.waiting = waiting
        self.copyMode = copyMode
        self.copyRange = copyRange
        self.queueDropped = queueDropped
        self.userDropped = userDropped
        self.idSequence = idSequence
    }

    /// The file for the network namespace of the *calling thread* (`/proc/net` would follow the
    /// process's main thread, which matters when a thread has joined another namespace).
    public static let procPath = "/proc/thread-self/net/netfilter/nfnetlink_queue"

    /// The status of `queue`, or `nil` when no process is bound to it (also when the file is absent:
    /// the kernel module loads on the first bind). The file is mode 0440 root: other users get an error.
    public static func read(queue: UInt16, path: String = procPath) throws(QueueStatusError) -> QueueStatus? {
        try readAll(path: path).first { $0.queue == queue }
    }

    /// Every bound queue, in the kernel's order. Empty when the file is absent.
    public static func readAll(path: String = procPath) throws(QueueStatusError) -> [QueueStatus] {
        guard let text = try readText(path) else { return [] }
        return try parse(text, source: path)
    }

    /// Parses the file's text. Throws, naming the line, when a line is not nine unsigned numbers.
    public static func parse(_ text: String, source: String = procPath) throws(QueueStatusError) -> [QueueStatus] {
        var statuses: [QueueStatus] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty { continue }
            guard let status = status(from: fields) else {
                throw QueueStatusError(source: source,
                                       problem: "line \(index + 1) is not 9 numbers as nfqnl_seq_show writes them: \"\(line)\"")
            }
            statuses.append(status)
        }
        return statuses
    }

    private static func status(from fields: [Substring]) -> QueueStatus? {
        guard fields.count == 9,
              let queue = UInt16(fields[0]), let peer = UInt32(fields[1]), let waiting = UInt32(fields[2]),
              let mode = UInt8(fields[3]), let range = UInt32(fields[4]), let queueDropped = UInt32(fields[5]),
              let userDropped = UInt32(fields[6]), let sequence = UInt32(fields[7]), Int32(fields[8]) != nil
        else { return nil }
        return QueueStatus(queue: queue, peerPortID: peer, waiting: waiting, copyMode: mode, copyRange: range,
                           queueDropped: queueDropped, userDropped: userDropped, idSequence: sequence)
    }

    /// The whole file, or `nil` when it does not exist.
    private static func readText(_ path: String) throws(QueueStatusError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return nil }
            let hint = code == EACCES ? " (the kernel lets only root read it)" : ""
            throw QueueStatusError(source: path, problem: "cannot open it: \(String(cString: strerror(code)))\(hint)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw QueueStatusError(source: path, problem: "cannot read it: \(String(cString: strerror(code)))")
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `/proc/net/netfilter/nfnetlink_queue` could not be read or understood.
public struct QueueStatusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file, or what the text came from.
    public var source: String
    public var problem: String

    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String { "\(source): \(problem)" }
}
