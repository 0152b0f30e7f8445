import Foundation

/// Runs code on a fresh thread that has joined a network namespace, so a test can create sockets
/// (listeners, netlink sockets) inside the namespace without a child process. A socket stays in the
/// namespace it was created in, whichever thread uses it later.
///
/// Invariant: only the new thread changes namespace; it exits when the code returns, so no other
/// thread of the test process ever runs inside the namespace.
public enum NamespaceThread {
    private typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    /// `CLONE_NEWNET` from <sched.h>, which Glibc does not export to Swift.
    private static let cloneNewNet: Int32 = 0x4000_0000

    /// Runs `body` on a new thread inside `namespace` and returns its result. Needs root.
    public static func run<T: Sendable>(in namespace: NetworkNamespace, _ body: @escaping @Sendable () throws -> T) throws -> T {
        try Privileges.requireRoot()
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
            throw HarnessError("setns(2) is not available in this C library")
        }
        let setns = unsafeBitCast(symbol, to: SetNS.self)
        let path = "/var/run/netns/\(namespace.name)"
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                box.set(.failure(HarnessError("cannot open \(path): \(String(cString: strerror(errno)))")))
                return
            }
            defer { close(fd) }
            guard setns(fd, cloneNewNet) == 0 else {
                box.set(.failure(HarnessError("setns into \(namespace.name) failed: \(String(cString: strerror(errno)))")))
                return
            }
            box.set(Result { try body() })
        }
        thread.start()
        done.wait()
        return try box.get()
    }

    private final class ResultBox<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<T, any Error>?

        func set(_ value: Result<T, any Error>) { lock.withLock { result = value } }

        func get() throws -> T {
            guard let result = lock.withLock({ result }) else { throw HarnessError("the namespace thread returned nothing") }
            return try result.get()
        }
    }
}
