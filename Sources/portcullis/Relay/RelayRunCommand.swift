import ArgumentParser
import Foundation
import Intercept
import Logging
import NIOCore
import NIOPosix
import Proxy
import Store

struct RelayRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the relay: the store, the policy, the gateways' listener, until SIGTERM or SIGINT.",
        discussion: """
            Runs as relay.uid (its credential files are that uid's alone). Every gateway connection, request, \
            response and stream is recorded as a gateway records them, with the gateway's name and the agent's \
            source as the gateway reported it. The enrolled gateways are re-read within 100 ms of any change, so \
            `portcullis relay revoke` closes a revoked gateway's connections within a second.
            """)

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let (configuration, section) = try config.loadRelay()
        let level = Logger.Level(rawValue: configuration.logging.level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = configuration.logging.json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "portcullis.relay")
        guard geteuid() == section.uid else {
            Console.error("portcullis relay must run as relay.uid \(section.uid), not as uid \(geteuid()): its CA key and the clusters' credentials are that uid's alone")
            throw PortcullisExit.system
        }
        let metrics = GatewayMetrics()
        metrics.bootstrap()
        let endpoints: ResolvedEndpoints
        do {
            endpoints = try configuration.intercept.resolveEndpoints()
        } catch {
            Console.error("\(config.path): \(error)")
            throw PortcullisExit.configuration
        }
        let store: StoreWriter, storeRecorder: StoreRecorder
        do {
            (store, storeRecorder) = try StoreAssembly.open(configuration, logger: logger)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.system
        }
        let access: AccessPolicy, adminConfiguration: AdminConfiguration
        do {
            access = try PolicyAssembly.access(configuration, store: store.database)
            adminConfiguration = try PolicyAssembly.admin(configuration)
        } catch {
            store.close()
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
        let roster = GatewayRoster()
        let registry = GatewayRegistryReloader(path: section.registryPath, roster: roster, logger: Logger(label: "portcullis.relay.registry"))
        do {
            try registry.start()
        } catch {
            store.close()
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
        let reviews = ReviewQueue()
        let writer = JSONLineWriter()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: NIOCore.System.coreCount)
        var central: CentralRuntime.Parts?
        if let c = configuration.central {
            do {
                central = try CentralRuntime.Parts(configuration: c, store: store, group: group)
            } catch {
                registry.stop()
                store.close()
                Console.error(error.description)
                throw PortcullisExit.configuration
            }
        }
        let recorded: any ProxyRecorder = central.map { $0.required(storeRecorder, store: store) } ?? storeRecorder
        let recorder = MetricsProxyRecorder(next: JSONLinesProxyRecorder(writer: writer, requests: configuration.logging.requests, next: recorded))
        let centralRuntime = central.map {
            $0.runtime(reviews: reviews, access: access, store: store, storeRecorder: storeRecorder, recorder: recorder, eventLoop: group.next())
        }
        centralRuntime?.start()
        let listener: RelayListener, operators: OperatorEndpoints
        do {
            let parts = try RelayAssembly.parts(configuration, relay: section, endpoints: endpoints, recorder: recorder, policy: access,
                                                reviews: reviews, roster: roster, group: group, logger: Logger(label: "portcullis.proxy"))
            listener = RelayListener(services: parts.services, relay: parts.relay, group: group)
            try await listener.start(listen: section.listen)
            let report = RelayStatusReport(listener: listener, roster: roster, registryPath: section.registryPath, writer: store,
                                           authenticator: parts.authenticator, policy: access,
                                           metricsAddress: OperatorEndpoints.address(configuration.metrics), central: centralRuntime)
            let service = AdminService(policy: access, reviews: reviews, recorder: recorder, report: { report.sections() })
            operators = OperatorEndpoints(service: service, adminConfiguration: adminConfiguration, metricsSection: configuration.metrics,
                                          gatewayMetrics: metrics, group: group)
            metrics.attach(GatewayMetrics.Sources(writer: store, queueGuard: nil, authenticator: parts.authenticator, policy: access,
                                                  reviews: reviews, central: centralRuntime?.shipper))
            do {
                try await operators.start()
            } catch {
                await listener.stop()
                throw error
            }
            await StartupFailure.warnAboutIssuersWithoutKeys(parts.authenticator, logger: logger)
        } catch {
            throw StartupFailure.exit(after: error, starting: "the relay") {
                registry.stop()
                store.close()
            }
        }
        let reloader = PolicyReloader(path: access.status.source, access: access, logger: Logger(label: "portcullis.policy"))
        reloader.start()
        let counts = roster.counts
        logger.notice("relay listening", metadata: ["listen": "\(section.listen.map(\.description).joined(separator: ", "))",
                                                    "clusters": "\(configuration.clusterNames.joined(separator: ", "))",
                                                    "gateways": "\(counts.enrolled)"])
        let listening = listener.boundAddresses.map { "\"\($0.ipAddress ?? "?"):\($0.port ?? 0)\"" }.joined(separator: ",")
        writer.write(Array("{\"event\":\"ready\",\"role\":\"relay\",\"listening\":[\(listening)]}".utf8))
        if let problem = SystemdNotifier.notify("READY=1\nSTATUS=relaying for \(counts.enrolled) enrolled gateway certificates") {
            logger.warning("cannot tell systemd the relay is ready", metadata: ["error": "\(problem)"])
        }
        await TerminationSignal.wait()
        SystemdNotifier.notify("STOPPING=1\nSTATUS=stopping")
        reloader.stop()
        registry.stop()
        await operators.stop()
        await listener.stop()
        store.close()
        await centralRuntime?.stop()
        writer.flush()
        try? await group.shutdownGracefully()
        logger.notice("stopped")
    }
}
