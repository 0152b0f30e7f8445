import ArgumentParser
import Foundation
import Intercept
import Logging

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run the gateway: the guard, then the rules, then the tamper watch, until SIGTERM or SIGINT.",
        discussion: """
            The rules stay in place when it stops, so API servers stay unreachable (fail closed) until it runs \
            again or `portcullis rules remove` is run. Events are written as JSON lines on standard output; \
            logs go to standard error.
            """)

    @OptionGroup var config: ConfigOption

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "portcullis")
        let renderer = try config.renderer()
        let intercept = renderer.configuration
        let backend = try detectBackend(renderer)
        let recorder = JSONLinesInterceptRecorder()
        let attribution = try? CallerAttribution()
        if attribution == nil { logger.warning("sock_diag is unavailable: bypass attempts are recorded without their process") }
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
        do {
            try RuleInstaller(renderer: renderer, backend: backend).apply(killExisting: true, recorder: recorder)
        } catch {
            queueGuard.stop()
            Console.error("applying the rules failed: \(error)")
            throw PortcullisExit.system
        }
        logger.notice("rules applied", metadata: ["backend": "\(backend.kind.rawValue)",
                                                  "endpoints": "\(renderer.endpoints.entries.count)"])
        let watch = TamperWatch(renderer: renderer, backend: backend, recorder: recorder)
        watch.start()
        print("{\"event\":\"ready\",\"proxyPort\":\(intercept.proxyPort),\"queue\":\(intercept.queueNumber)}")
        fflush(nil)
        await TerminationSignal.wait()
        watch.stop()
        queueGuard.stop()
        reporter.shutdown()
        recorder.flush()
        logger.notice("stopped; the rules stay in place, so API access fails closed",
                      metadata: ["droppedPackets": "\(reporter.snapshot.total)"])
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
