import Foundation
import Logging
import Proxy

/// Keeps a running relay's ``GatewayRoster`` in step with its registry file: checked every 100 ms
/// (a stat(2), cheap), so `portcullis relay revoke` takes effect (new connections refused, open
/// ones closed) well within a second. A file that cannot be read leaves the enrolments in force and
/// is logged; it is read again on its next change.
///
/// `@unchecked Sendable`: its mutable state (`timer`, `lastSeen`) is only read and written on
/// `queue` (``start()`` and ``stop()`` enter it with `sync`; the timer fires on it).
final class GatewayRegistryReloader: @unchecked Sendable {
    static let interval: DispatchTimeInterval = .milliseconds(100)

    private let path: String
    private let roster: GatewayRoster
    private let logger: Logger
    private let queue = DispatchQueue(label: "portcullis.relay.registry")
    /// Guarded by `queue`.
    private var timer: (any DispatchSourceTimer)?
    private var lastSeen: [Int]?

    init(path: String, roster: GatewayRoster, logger: Logger) {
        self.path = path
        self.roster = roster
        self.logger = logger
    }

    /// Loads the file now (throwing when it cannot be read), then watches it.
    func start() throws(GatewayRegistry.FileError) {
        let registry = try GatewayRegistry.load(path: path)
        queue.sync {
            lastSeen = signature()
            roster.update(registry)
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + Self.interval, repeating: Self.interval)
            timer.setEventHandler { [weak self] in self?.reloadIfChanged() }
            timer.resume()
            self.timer = timer
        }
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
    }

    private func reloadIfChanged() {
        let now = signature()
        guard now != lastSeen else { return }
        do {
            let registry = try GatewayRegistry.load(path: path)
            lastSeen = now
            let closed = roster.update(registry)
            let counts = roster.counts
            logger.notice("gateway registry reloaded", metadata: ["file": "\(path)", "enrolled": "\(counts.enrolled)"])
            for (gateway, count) in closed.sorted(by: { $0.key < $1.key }) {
                logger.warning("closed the connections of a gateway that is no longer admitted",
                               metadata: ["gateway": "\(gateway)", "connections": "\(count)"])
            }
        } catch {
            logger.error("cannot read the gateway registry; the enrolments in force stay", metadata: ["error": "\(error)"])
        }
    }

    /// Device, inode, size and modification time: what changes when the file is replaced.
    private func signature() -> [Int]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int(info.st_dev), Int(info.st_ino), Int(info.st_size), info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
    }
}
