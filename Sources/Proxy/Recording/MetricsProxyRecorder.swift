import CoreMetrics
import Kube
import NIOCore
import Synchronization

/// Passes every event on to `next`, and counts what it sees (swift-metrics, so any backend can
/// collect them; `portcullis up` serves them as Prometheus text):
/// - `portcullis_requests_total{verb, outcome, cluster}`: each request once, when it ends;
///   outcome `allowed` (the API server answered), `denied` (policy or a reviewer), `rejected`
///   (the gateway refused it: no token, store or upstream trouble);
/// - `portcullis_request_duration_seconds{verb}`: receipt to the response's end (to its start
///   for watches, logs and upgrades);
/// - `portcullis_connections_active`, `portcullis_streams_active` (upgrades, watches, logs).
///
/// It only observes: the future it returns is `next`'s.
public final class MetricsProxyRecorder: ProxyRecorder {
    private let next: any ProxyRecorder
    private let factory: any MetricsFactory
    private let connectionsActive: Gauge
    private let streamsActive: Gauge
    private let state = Mutex(State())

    private struct Request {
        var verb: String
        var cluster: String
        var received: KubeTime
        var longRunning: Bool
        var denied = false
        var streaming = false
    }

    private struct State {
        var clusters: [UInt64: String] = [:]
        var requests: [UInt64: Request] = [:]
        /// The unfinished requests of each open connection, to end their streams with it. Finished
        /// ones are dropped as the next request arrives, so a keep-alive connection's list stays short.
        var byConnection: [UInt64: [UInt64]] = [:]
        var connections = 0
        var streams = 0
        var counters: [String: Counter] = [:]
        var timers: [String: CoreMetrics.Timer] = [:]
    }

    public init(next: any ProxyRecorder, factory: any MetricsFactory = MetricsSystem.factory) {
        self.next = next
        self.factory = factory
        connectionsActive = Gauge(label: "portcullis_connections_active", factory: factory)
        streamsActive = Gauge(label: "portcullis_streams_active", factory: factory)
    }

    public func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        observe(event)
        return next.record(event, on: eventLoop)
    }

    private func observe(_ event: ProxyEvent) {
        switch event {
        case .connectionOpened(let opened):
            let count = state.withLock { state in
                state.clusters[opened.id.value] = opened.cluster
                state.connections += 1
                return state.connections
            }
            connectionsActive.record(count)
        case .connectionClosed(let id, _), .connectionEnded(let id, _, _):
            let (connections, streams) = state.withLock { state -> (Int?, Int) in
                for request in state.byConnection.removeValue(forKey: id.value) ?? [] {
                    if state.requests.removeValue(forKey: request)?.streaming == true { state.streams -= 1 }
                }
                guard state.clusters.removeValue(forKey: id.value) != nil else { return (nil, state.streams) }
                state.connections -= 1
                return (state.connections, state.streams)
            }
            if let connections { connectionsActive.record(connections) }
            streamsActive.record(streams)
        case .requestReceived(let record):
            state.withLock { state in
                state.requests[record.id.value] = Request(verb: record.info.verb, cluster: state.clusters[record.connection.value] ?? "",
                                                          received: record.time, longRunning: record.info.isLongRunning,
                                                          denied: record.decision?.effect == .deny)
                let open = (state.byConnection[record.connection.value] ?? []).filter { state.requests[$0] != nil }
                state.byConnection[record.connection.value] = open + [record.id.value]
            }
        case .reviewDecided(let id, _, let verdict):
            state.withLock { $0.requests[id.value]?.denied = verdict.effect == .deny }
        case .responseStarted(let id, let time, let status, _):
            let (timing, streams) = state.withLock { state -> ((String, Int64)?, Int?) in
                guard var request = state.requests[id.value], request.longRunning || status == 101 else { return (nil, nil) }
                request.streaming = true
                state.requests[id.value] = request
                state.streams += 1
                return ((request.verb, time.microseconds - request.received.microseconds), state.streams)
            }
            if let (verb, micros) = timing { timer(verb).recordNanoseconds(max(0, micros) * 1000) }
            if let streams { streamsActive.record(streams) }
        case .responseCompleted(let id, let time, _):
            finish(id, outcome: "allowed", time: time)
        case .requestRejected(let id, let time, _, _):
            finish(id, outcome: nil, time: time)
        case .responseBody, .streamData, .connectionRefused, .grantIssued, .grantRevoked:
            break
        }
    }

    /// Requests held in the per-connection lists (for tests: it must not grow with a connection's age).
    var trackedRequests: Int { state.withLock { $0.byConnection.values.reduce(0) { $0 + $1.count } } }

    /// Counts a request that ended; `outcome` nil means the gateway answered it itself.
    private func finish(_ id: RequestID, outcome: String?, time: KubeTime) {
        let ended = state.withLock { state -> (Request, Int?)? in
            guard let request = state.requests.removeValue(forKey: id.value) else { return nil }
            if request.streaming { state.streams -= 1 }
            return (request, request.streaming ? state.streams : nil)
        }
        guard let (request, streams) = ended else { return }
        let result = outcome ?? (request.denied ? "denied" : "rejected")
        counter(verb: request.verb, outcome: result, cluster: request.cluster).increment()
        if !request.streaming { timer(request.verb).recordNanoseconds(max(0, time.microseconds - request.received.microseconds) * 1000) }
        if let streams { streamsActive.record(streams) }
    }

    private func counter(verb: String, outcome: String, cluster: String) -> Counter {
        let key = "\(verb)|\(outcome)|\(cluster)"
        return state.withLock { state in
            if let existing = state.counters[key] { return existing }
            let made = Counter(label: "portcullis_requests_total", dimensions: [("verb", verb), ("outcome", outcome), ("cluster", cluster)],
                               factory: factory)
            state.counters[key] = made
            return made
        }
    }

    private func timer(_ verb: String) -> CoreMetrics.Timer {
        state.withLock { state in
            if let existing = state.timers[verb] { return existing }
            let made = CoreMetrics.Timer(label: "portcullis_request_duration_seconds", dimensions: [("verb", verb)], factory: factory)
            state.timers[verb] = made
            return made
        }
    }
}
