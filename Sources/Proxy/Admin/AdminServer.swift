import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The local admin socket: a unix socket that only root and the admin group can use (by its
/// file mode where the directory allows, and always by the peer's credentials).
public final class AdminServer: Sendable {
    private let service: AdminService
    private let configuration: AdminConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let channels = ListeningChannels()

    public init(service: AdminService, configuration: AdminConfiguration, group: any EventLoopGroup, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.group = group
        self.logger = logger
    }

    /// Binds the socket (replacing a stale one) and restricts its mode: 660 when it has the admin
    /// group, else 600. (Until then its directory guards it, and the peer check always does.)
    public func start() async throws {
        let path = configuration.socketPath
        let directory = (path as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw AdminStartError(path: path, reason: "cannot create its directory: \(error.localizedDescription)")
            }
        }
        let service = self.service, configuration = self.configuration, logger = self.logger
        let bootstrap = ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        AdminRequestHandler(service: service, configuration: configuration, logger: logger))
                }
            }
        do {
            channels.append(try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get())
        } catch {
            throw AdminStartError(path: path, reason: "\(error)")
        }
        try restrictMode(path)
    }

    private func restrictMode(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw AdminStartError(path: path, reason: "cannot stat it: \(String(cString: strerror(errno)))") }
        var mode: mode_t = 0o600
        if let group = configuration.adminGroup {
            if info.st_gid == group || chown(path, UInt32.max, group) == 0 {
                mode = 0o660
            } else {
                logger.warning("the admin socket cannot get the admin group; only root can use it until its directory has that group with the setgid bit (portcullis init does this)",
                               metadata: ["socket": "\(path)", "group": "\(group)"])
            }
        }
        guard chmod(path, mode) == 0 else { throw AdminStartError(path: path, reason: "cannot set its mode: \(String(cString: strerror(errno)))") }
    }

    public func stop() async {
        for channel in channels.all { try? await channel.close() }
        channels.removeAll()
        unlink(configuration.socketPath)
    }
}

public struct AdminStartError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot open the admin socket \(path): \(reason)" }
}
