import Central
import CoreMetrics
import Intercept
import Kube
import Prometheus
import Proxy
import Store
import Foundation
import Synchronization

/// The gateway's Prometheus registry. The modules count through swift-metrics (bootstrapped here);
/// what they keep as statistics is read into gauges and counters at each scrape.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let sources: Mutex<Sources?> = Mutex(nil)
    /// Totals already added to each counter, so a scrape adds only what is new.
    private let reported = Mutex<[String: Int]>([:])

    struct Sources: Sendable {
        var writer: StoreWriter
        /// Nil on a relay, which has no guard.
        var queueGuard: NetfilterQueueGuard?
        var authenticator: OIDCAuthenticator
        var policy: AccessPolicy
        var reviews: ReviewQueue
        var central: CentralShipper?
    }

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                   .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                   .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10)]
        // A request's stages take microseconds to milliseconds.
        factory.durationHistogramBuckets[RequestStage.metricName] = [
            .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100), .seconds(1),
        ]
        self.factory = factory
    }

    /// Makes swift-metrics report here. Once per process.
    func bootstrap() { MetricsSystem.bootstrap(factory) }

    func attach(_ sources: Sources) { self.sources.withLock { $0 = sources } }

    /// The text a scrape gets.
    func render() -> String {
        if let sources = sources.withLock({ $0 }) { collect(sources) }
        return registry.emitToString()
    }

    private func collect(_ s: Sources) {
        let store = s.writer.statistics
        gauge("portcullis_store_queue_depth", store.queueDepth)
        gauge("portcullis_store_backlog_depth", store.backlogDepth)
        gauge("portcullis_store_writable", store.isAvailable ? 1 : 0)
        count("portcullis_store_rows_committed_total", store.rowsCommitted)
        count("portcullis_store_failed_commits_total", store.failedCommits)
        count("portcullis_store_refused_records_total", store.refusedRecords)
        for setting in StoreDurability.allCases {
            registry.makeGauge(descriptor: Self.durability, labels: [("setting", setting.rawValue)])
                .set(Double(setting == s.writer.database.durability ? 1 : 0))
        }
        if let queueGuard = s.queueGuard {
            let queue = queueGuard.statistics
            gauge("portcullis_guard_attached", queueGuard.isRunning ? 1 : 0)
            count("portcullis_guard_packets_total", queue.packets)
            count("portcullis_guard_verdict_failures_total", queue.verdictFailures)
        }
        count("portcullis_jwks_refreshes_total", s.authenticator.statistics.jwksFetches)
        let now = Double(StoreClock.now().microseconds) / 1_000_000
        for key in s.authenticator.keyStatus {
            let labels = [("issuer", key.issuer)]
            registry.makeGauge(descriptor: Self.jwksKeys, labels: labels).set(Double(key.keyCount))
            if let fetched = key.fetchedAt { registry.makeGauge(descriptor: Self.jwksAge, labels: labels).set(now - fetched) }
        }
        let policy = s.policy.status
        gauge("portcullis_policy_generation", policy.generation)
        gauge("portcullis_policy_reload_failed", policy.lastError == nil ? 0 : 1)
        gauge("portcullis_reviews_pending", s.reviews.pending().count)
        gauge("portcullis_grants_active", s.policy.grants.active(at: StoreClock.now()).count)
        if let central = s.central { collect(central.status()) }
    }

    /// Shipping to the central store: how far behind, how old the oldest unshipped row, whether
    /// the last attempt failed. (Rows and shipments are counted as they happen.)
    private func collect(_ c: CentralShippingStatus) {
        gauge("portcullis_central_rows_behind", Int(c.rowsBehind))
        gauge("portcullis_central_reachable", c.reachable ? 1 : 0)
        gauge("portcullis_central_last_error", c.lastError == nil ? 0 : 1)
        gauge("portcullis_central_shipped_seq", Int(c.shippedSeq))
        let age = c.oldestUnshippedAt.map { (StoreClock.now().microseconds - $0.microseconds) / 1_000_000 } ?? 0
        gauge("portcullis_central_oldest_unshipped_seconds", Int(max(0, age)))
    }

    private func gauge(_ name: String, _ value: Int) {
        registry.makeGauge(descriptor: Self.descriptor(name)).set(Double(value))
    }

    /// Adds to counter `name` what `total` grew by since the last scrape.
    private func count(_ name: String, _ total: Int) {
        let delta = reported.withLock { seen -> Int in
            defer { seen[name] = max(seen[name] ?? 0, total) }
            return max(0, total - (seen[name] ?? 0))
        }
        let counter = registry.makeCounter(descriptor: Self.descriptor(name))
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }
}

extension GatewayMetrics {
    static var jwksKeys: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "portcullis_jwks_keys", unitName: "", helpText: "Signing keys loaded from each issuer's JWKS.")
    }

    static var jwksAge: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "portcullis_jwks_age_seconds", unitName: "",
                             helpText: "Seconds since each issuer's JWKS was fetched.")
    }

    /// The help text of each metric read from the modules' statistics at a scrape.
    static let helpTexts: [String: String] = [
        "portcullis_store_queue_depth": "Records waiting for the store's writer.",
        "portcullis_store_backlog_depth": "Records kept in memory while the store cannot write.",
        "portcullis_store_writable": "1 while the store writes, 0 while it cannot.",
        "portcullis_store_rows_committed_total": "Rows committed to the recording.",
        "portcullis_store_failed_commits_total": "Commits that failed.",
        "portcullis_store_refused_records_total": "Records refused because the store could not take them.",
        "portcullis_guard_attached": "1 while the fail-closed guard reads its netfilter queue.",
        "portcullis_guard_packets_total": "Packets the guard dropped.",
        "portcullis_guard_verdict_failures_total": "Verdicts the guard could not give.",
        "portcullis_jwks_refreshes_total": "Fetches of the issuers' JWKS.",
        "portcullis_policy_generation": "How many times the policy was loaded.",
        "portcullis_policy_reload_failed": "1 when the last policy reload failed.",
        "portcullis_reviews_pending": "Requests held for a reviewer.",
        "portcullis_grants_active": "Grants in force.",
        "portcullis_central_rows_behind": "Rows committed locally and not yet in the central store.",
        "portcullis_central_reachable": "1 when the last attempt to reach the central store succeeded.",
        "portcullis_central_last_error": "1 while shipping to the central store fails.",
        "portcullis_central_shipped_seq": "The last seq the central store holds for this host.",
        "portcullis_central_oldest_unshipped_seconds": "Age of the oldest row not yet in the central store (0 when none).",
    ]

    static var durability: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "portcullis_store_durability", unitName: "",
                             helpText: "1 for the store.durability in force: process (survives a crash of the gateway) or host (also a power loss).")
    }

    /// `name` whole (its unit is already part of it), with its help text.
    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: helpTexts[name] ?? "")
    }
}
