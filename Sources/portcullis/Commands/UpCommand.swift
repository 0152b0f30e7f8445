import ArgumentParser
import Central
import Foundation
import Intercept
import Logging
import NIOCore
import NIOPosix
import Proxy
import Store

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run the gateway: the store, the guard, the proxy, the rules and the tamper watch, until SIGTERM or SIGINT.",
        discussion: """
            Every connection, request, response and stream is recorded in the store (docs/store.md) before it \
            is forwarded. The rules stay in place when it stops, so API servers stay unreachable (fail closed) \
            until it runs again or `portcullis rules remove` is run. Events are also written as JSON lines on \
            standard output; logs go to standard error.
            """)

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let configuration = try config.loadGateway(for: "portcullis up")
        let level = Logger.Level(rawValue: configuration.logging.level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = configuration.logging.json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "portcullis")
        MemoryTuning.apply(environment: ProcessInfo.processInfo.environment)
        // Before anything counts: every module reports through swift-metrics to this registry.
        let metrics = GatewayMetrics()
        metrics.bootstrap()
        let renderer = try config.renderer()
        let intercept = renderer.configuration
        guard geteuid() == intercept.gatewayUID else {
            Console.error("portcullis up must run as the gateway's uid \(intercept.gatewayUID) with CAP_NET_ADMIN and CAP_NET_RAW, not as uid \(geteuid()): only that uid's connections reach the API servers unredirected (see docs/intercept.md)")
            throw PortcullisExit.system
        }
        let backend = try detectBackend(renderer, requireRoot: false)
        // 0. The store: nothing is forwarded or recorded anywhere until it is open.
        let store: StoreWriter
        let storeRecorder: StoreRecorder
        do {
            (store, storeRecorder) = try StoreAssembly.open(configuration, logger: logger)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.system
        }
        logger.notice("recording to \(configuration.storePath)")
        // 0b. The policy and the grants: nothing is forwarded without a decision.
        let access: AccessPolicy
        let adminConfiguration: AdminConfiguration
        do {
            access = try PolicyAssembly.access(configuration, store: store.database)
            adminConfiguration = try PolicyAssembly.admin(configuration)
        } catch {
            store.close()
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
        logger.notice("policy loaded", metadata: ["file": "\(access.status.source)", "rules": "\(access.status.ruleCount)",
                                                  "grants": "\(access.grants.active(at: access.status.loadedAt).count)"])
        let reviews = ReviewQueue()
        let writer = JSONLineWriter()
        let recorder = MetricsInterceptRecorder(next: JSONLinesInterceptRecorder(writer: writer, next: storeRecorder))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: NIOCore.System.coreCount)
        // 0c. The central store: its client and shipper, started once the proxy's recorder exists.
        var central: CentralRuntime.Parts?
        if let section = configuration.central {
            do {
                central = try CentralRuntime.Parts(configuration: section, store: store, group: group)
            } catch {
                store.close()
                Console.error(error.description)
                throw PortcullisExit.configuration
            }
        }
        // 1. The guard: from here on, bypass attempts are recorded, not only dropped.
        let queueGuard: NetfilterQueueGuard
        do {
            queueGuard = try startGuard(intercept, recorder: recorder, logger: logger)
        } catch {
            store.close()
            throw error
        }
        // 2. The proxy: steered connections have somewhere to go before the rules steer them.
        let proxy: GatewayProxy
        let endpoints: OperatorEndpoints
        // With `central.mode: required`, a request is forwarded only once its record is in PostgreSQL too.
        let recorded: any ProxyRecorder = central.map { $0.required(storeRecorder, store: store) } ?? storeRecorder
        let proxyRecorder = MetricsProxyRecorder(next: JSONLinesProxyRecorder(writer: writer, requests: configuration.logging.requests, next: recorded))
        let centralRuntime = central.map {
            $0.runtime(reviews: reviews, access: access, store: store, storeRecorder: storeRecorder, recorder: proxyRecorder,
                       eventLoop: group.next())
        }
        centralRuntime?.start()
        if let c = configuration.central {
            logger.notice("shipping the record to the central store", metadata: ["store": "\(c.endpointDescription)", "host": "\(c.hostName)",
                                                                                 "mode": "\(c.mode.rawValue)"])
        }
        do {
            let (services, authenticator) = try ProxyAssembly.services(configuration, endpoints: renderer.endpoints,
                                                                       recorder: proxyRecorder, policy: access, reviews: reviews,
                                                                       group: group,
                                                                       logger: Logger(label: "portcullis.proxy"))
            proxy = GatewayProxy(services: services, group: group)
            try await proxy.start()
            let report = GatewayStatusReport(renderer: renderer, backend: backend, queueGuard: queueGuard, proxy: proxy, writer: store,
                                             authenticator: authenticator, policy: access,
                                             metricsAddress: OperatorEndpoints.address(configuration.metrics), central: centralRuntime,
                                             attribution: services.attribution)
            let service = AdminService(policy: access, reviews: reviews, recorder: proxyRecorder, report: { report.sections() },
                                       tail: TailStreamSource(reader: StoreReader(store.database)))
            endpoints = OperatorEndpoints(service: service, adminConfiguration: adminConfiguration, metricsSection: configuration.metrics,
                                          gatewayMetrics: metrics, group: group)
            metrics.attach(GatewayMetrics.Sources(writer: store, queueGuard: queueGuard, authenticator: authenticator, policy: access,
                                                  reviews: reviews, central: centralRuntime?.shipper))
            do {
                try await endpoints.start()
            } catch {
                await proxy.stop()
                throw error
            }
            await StartupFailure.warnAboutIssuersWithoutKeys(authenticator, logger: logger)
        } catch {
            throw StartupFailure.exit(after: error, starting: "the proxy or the admin socket") {
                queueGuard.stop()
                store.close()
            }
        }
        logger.notice("proxy listening", metadata: ["port": "\(intercept.proxyPort)"])
        logger.notice("admin socket listening", metadata: ["socket": "\(adminConfiguration.socketPath)",
                                                           "allowed": "\(adminConfiguration.allowedText)"])
        if let address = endpoints.metricsAddress { logger.notice("metrics at http://\(address)/metrics") }
        let reloader = PolicyReloader(path: access.status.source, access: access, logger: Logger(label: "portcullis.policy"))
        reloader.start()
        // 3. The rules: adopted as they are when a previous run left them intact (a restart or an
        // upgrade), so there is no moment of change; else installed, ending flows opened before.
        do {
            let drift = try? RuleVerifier(renderer: renderer, backend: backend).verify(checkQueue: false, queueListening: { true })
            if drift?.isEmpty == true {
                logger.notice("rules already in place: adopted")
            } else {
                try RuleInstaller(renderer: renderer, backend: backend).apply(killExisting: true, recorder: recorder)
            }
        } catch {
            reloader.stop()
            await endpoints.stop()
            await proxy.stop()
            queueGuard.stop()
            store.close()
            Console.error("applying the rules failed: \(error)")
            throw PortcullisExit.system
        }
        logger.notice("rules applied", metadata: ["backend": "\(backend.kind.rawValue)",
                                                  "endpoints": "\(renderer.endpoints.entries.count)"])
        let watch = TamperWatch(renderer: renderer, backend: backend, recorder: recorder, interval: configuration.tamperInterval)
        watch.start()
        writer.write(Array("{\"event\":\"ready\",\"proxyPort\":\(intercept.proxyPort),\"queue\":\(intercept.queueNumber)}".utf8))
        // systemd (Type=notify): ready only now that the guard, the proxy and the rules are all up.
        if let problem = SystemdNotifier.notify("READY=1\nSTATUS=enforcing: guard, proxy and rules are up") {
            logger.warning("cannot tell systemd the gateway is ready", metadata: ["error": "\(problem)"])
        }
        await TerminationSignal.wait()
        SystemdNotifier.notify("STOPPING=1\nSTATUS=stopping; the rules stay, so API access fails closed")
        watch.stop()
        reloader.stop()
        await endpoints.stop()
        await proxy.stop()
        queueGuard.stop()
        // After the proxy and the guard: their last events are committed before the file closes.
        store.close()
        // Then the last rows ship, for up to central.drainTimeout.
        await centralRuntime?.stop()
        writer.flush()
        try? await group.shutdownGracefully()
        logger.notice("stopped; the rules stay in place, so API access fails closed")
    }

    private func startGuard(_ intercept: InterceptConfiguration, recorder: any InterceptRecorder, logger: Logger) throws -> NetfilterQueueGuard {
        let attribution = try? CallerAttribution()
        let reporter = BypassReporter(recorder: recorder, logger: Logger(label: "portcullis.guard"),
                                      enricher: { flow, _ in attribution?.local(flow: flow).process })
        let queueGuard = NetfilterQueueGuard(configuration: NetfilterQueueConfiguration(queue: intercept.queueNumber),
                                             logger: Logger(label: "portcullis.guard"), reporter: reporter)
        do {
            try queueGuard.start()
        } catch {
            Console.error("starting the guard failed: \(error)")
            throw PortcullisExit.system
        }
        logger.notice("guard listening on netfilter queue \(intercept.queueNumber)")
        return queueGuard
    }
}

/// Waits for SIGTERM or SIGINT.
enum TerminationSignal {
    static func wait() async {
        let signals = AsyncStream<Int32> { continuation in
            let queue = DispatchQueue(label: "portcullis.signals")
            nonisolated(unsafe) let sources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                source.setEventHandler { continuation.yield(sig) }
                source.resume()
                return source
            }
            continuation.onTermination = { _ in sources.forEach { $0.cancel() } }
        }
        for await _ in signals { return }
    }
}
