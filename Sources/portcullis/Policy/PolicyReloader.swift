import Foundation
import Kube
import Logging
import Proxy
import Store

/// Reloads the policy file on SIGHUP and when it changes (checked every second, so editors that
/// replace the file are seen too). A file that does not load leaves the policy in force; the log
/// and `portcullis status` say why. Connections are never touched.
final class PolicyReloader: @unchecked Sendable {
    private let path: String
    private let access: AccessPolicy
    private let logger: Logger
    private let queue = DispatchQueue(label: "portcullis.policy")
    /// Guarded by `queue`.
    private var sources: [any DispatchSourceProtocol] = []
    private var lastSeen: FileSignature?

    /// What identifies a version of the file without reading it.
    private struct FileSignature: Equatable {
        var device: UInt64, inode: UInt64, size: Int64, modified: Int, modifiedNanoseconds: Int
    }

    init(path: String, access: AccessPolicy, logger: Logger) {
        self.path = path
        self.access = access
        self.logger = logger
    }

    func start() {
        queue.sync {
            lastSeen = signature()
            signal(SIGHUP, SIG_IGN)
            let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
            hangup.setEventHandler { [weak self] in self?.reload(trigger: "SIGHUP") }
            hangup.resume()
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + 1, repeating: 1)
            timer.setEventHandler { [weak self] in self?.reloadIfChanged() }
            timer.resume()
            sources = [hangup, timer]
        }
    }

    func stop() {
        queue.sync {
            sources.forEach { $0.cancel() }
            sources = []
        }
    }

    private func reloadIfChanged() {
        let now = signature()
        guard now != lastSeen else { return }
        lastSeen = now
        reload(trigger: "the file changed")
    }

    private func reload(trigger: String) {
        let time = StoreClock.now()
        do {
            let (policy, digest) = try PolicyFile.load(path: path)
            guard digest != access.status.digest || access.status.lastError != nil else { return }
            access.replace(policy, digest: digest, at: time)
            logger.notice("policy reloaded", metadata: ["file": "\(path)", "trigger": "\(trigger)", "rules": "\(policy.rules.count)",
                                                        "generation": "\(access.status.generation)"])
        } catch {
            access.refuseReload(error.description, at: time)
            logger.error("policy reload refused; the previous policy stays in force",
                         metadata: ["file": "\(path)", "trigger": "\(trigger)", "error": "\(error.description)"])
        }
    }

    private func signature() -> FileSignature? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileSignature(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                             modified: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec)
    }
}
