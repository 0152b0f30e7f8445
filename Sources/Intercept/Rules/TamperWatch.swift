import Foundation
import Kube
import Logging
import Synchronization

/// Re-verifies the rules every interval; on drift it restores them (under guardrails) and records
/// a tamper event saying what had changed. It also re-resolves host names now and then and
/// refills the sets when their addresses change.
public final class TamperWatch: Sendable {
    private struct State {
        var renderer: RuleRenderer
        var lastResolution = Date()
    }

    private let backend: NetfilterBackend
    private let recorder: any InterceptRecorder
    private let interval: Duration
    private let resolveInterval: TimeInterval
    private let resolver: any HostResolver
    private let logger: Logger
    private let queue = DispatchQueue(label: "portcullis.tamper-watch")
    /// Dispatch sources are thread-safe; created suspended in init, resumed once by ``start()``.
    nonisolated(unsafe) private let timer: any DispatchSourceTimer
    private let state: Mutex<State>
    /// How many checks have run; for tests and status.
    private let checks = Atomic<Int>(0)

    public init(renderer: RuleRenderer, backend: NetfilterBackend, recorder: any InterceptRecorder,
                interval: Duration = .seconds(1), resolveInterval: TimeInterval = 30,
                resolver: any HostResolver = SystemHostResolver(), logger: Logger = Logger(label: "portcullis.tamper-watch")) {
        self.backend = backend
        self.recorder = recorder
        self.interval = interval
        self.resolveInterval = resolveInterval
        self.resolver = resolver
        self.logger = logger
        self.state = Mutex(State(renderer: renderer))
        self.timer = DispatchSource.makeTimerSource(queue: queue)
    }

    public var checkCount: Int { checks.load(ordering: .relaxed) }

    /// Starts checking every interval. Call once.
    public func start() {
        let nanoseconds = Int(interval.components.seconds) * 1_000_000_000 + Int(interval.components.attoseconds / 1_000_000_000)
        timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds))
        timer.setEventHandler { [weak self] in self?.check() }
        timer.resume()
    }

    /// Stops checking and waits for a check in progress to finish.
    public func stop() {
        timer.cancel()
        queue.sync {}
    }

    /// One check; runs on the watch's queue.
    func check() {
        defer { checks.add(1, ordering: .relaxed) }
        refreshEndpointsIfDue()
        let renderer = state.withLock { $0.renderer }
        let verifier = RuleVerifier(renderer: renderer, backend: backend)
        let drift: [Drift]
        do {
            drift = try verifier.verify(checkQueue: false, queueListening: { true })
        } catch {
            logger.error("cannot read the rules to verify them: \(error)")
            return
        }
        guard !drift.isEmpty else { return }
        let descriptions = drift.map(\.description)
        logger.warning("the rules were changed; restoring them", metadata: ["drift": .array(descriptions.map { .string($0) })])
        do {
            try RuleInstaller(renderer: renderer, backend: backend).apply(killExisting: true, recorder: recorder)
            recorder.record(.tamper(TamperEvent(time: Self.now(), drift: descriptions, restored: true)))
        } catch {
            logger.error("restoring the rules failed: \(error)")
            recorder.record(.tamper(TamperEvent(time: Self.now(), drift: descriptions, restored: false, error: error.description)))
        }
    }

    private func refreshEndpointsIfDue() {
        let (renderer, last) = state.withLock { ($0.renderer, $0.lastResolution) }
        guard Date().timeIntervalSince(last) >= resolveInterval else { return }
        state.withLock { $0.lastResolution = Date() }
        guard let fresh = try? renderer.configuration.resolveEndpoints(using: resolver), fresh != renderer.endpoints else { return }
        logger.notice("API endpoint addresses changed; refilling the sets",
                      metadata: ["addresses": .array(fresh.entries.map { .string($0.address.withPort($0.port)) })])
        state.withLock { $0.renderer = RuleRenderer(configuration: renderer.configuration, endpoints: fresh) }
    }

    static func now() -> KubeTime {
        KubeTime(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
