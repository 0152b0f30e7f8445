import Central
import Kube
import Logging
import NIOCore
import PostgresNIO
import Proxy
import Store
import Synchronization

/// The central store inside `portcullis up`: the PostgreSQL client, the shipper and the fleet's
/// reviews and grants, run as one task from ``start()`` until ``stop()``.
///
/// Invariant: ``stop()`` runs after the local writer has closed, so the drain ships every row the
/// gateway will ever commit in this run, for up to `central.drainTimeout`; what is left stays in
/// the local store and ships at the next start.
final class CentralRuntime: Sendable {
    let configuration: CentralConfiguration
    let client: PostgresClient
    let shipper: CentralShipper
    let fleet: CentralFleet
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let logger: Logger

    init(configuration: CentralConfiguration, client: PostgresClient, shipper: CentralShipper, fleet: CentralFleet, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.shipper = shipper
        self.fleet = fleet
        self.logger = logger
    }

    func start() {
        let client = self.client, shipper = self.shipper, fleet = self.fleet
        task.withLock {
            $0 = Task {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await client.run() }
                    group.addTask { await shipper.run() }
                    group.addTask { await fleet.run() }
                    await group.waitForAll()
                }
            }
        }
    }

    /// Ships what is left (for up to `central.drainTimeout`), says how much is not, and stops.
    func stop() async {
        let left = await shipper.drain(timeout: configuration.drainTimeout)
        if left == 0 {
            logger.notice("every recorded row is in the central store", metadata: ["host": "\(configuration.hostName)"])
        } else {
            logger.warning("\(left) rows are not in the central store yet; they stay in the local store and ship when the gateway starts again",
                           metadata: ["rows": "\(left)", "drainTimeout": "\(configuration.drainTimeout)",
                                      "lastError": "\(shipper.status().lastError ?? "none")"])
        }
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
    }

    /// The `central` section of `GET /v1/status`.
    func statusSection() -> JSONValue {
        let s = shipper.status()
        let now = StoreClock.now().microseconds
        var section: [String: JSONValue] = [
            "host": .string(s.hostName), "mode": .string(s.mode.rawValue), "store": .string(s.store),
            "shippedSeq": .int(s.shippedSeq), "committedSeq": .int(s.committedSeq), "rowsBehind": .int(s.rowsBehind),
            "reachable": .bool(s.reachable), "rowsShipped": .int(Int64(s.rowsShipped)), "errors": .int(Int64(s.errors)),
            "notifications": .bool(fleet.health.listening),
        ]
        if let oldest = s.oldestUnshippedAt {
            section["oldestUnshippedAt"] = .string(oldest.rfc3339Micro)
            section["oldestUnshippedAgeSeconds"] = .int(max(0, (now - oldest.microseconds) / 1_000_000))
        }
        if let error = s.lastError { section["lastError"] = .string(error) }
        if let at = s.lastErrorAt { section["lastErrorAt"] = .string(at.rfc3339Micro) }
        if let at = s.lastShippedAt { section["lastShippedAt"] = .string(at.rfc3339Micro) }
        if let error = fleet.health.lastError { section["fleetError"] = .string(error) }
        return .object(section)
    }
}

extension CentralRuntime {
    /// What `up` builds before the proxy: the client and the shipper (credentials are read here, so
    /// a bad file stops `up` at once with its name).
    struct Parts: Sendable {
        let configuration: CentralConfiguration
        let client: PostgresClient
        let shipper: CentralShipper
        let logger = Logger(label: "portcullis.central")

        init(configuration: CentralConfiguration, store: StoreWriter, group: any EventLoopGroup) throws(CentralStoreError) {
            self.configuration = configuration
            // The pool's own log stays quiet below errors: the shipper and the fleet log each failure once.
            var poolLogger = Logger(label: "portcullis.central.pool")
            poolLogger.logLevel = .error
            client = try CentralConnector.client(configuration, eventLoopGroup: group, logger: poolLogger)
            shipper = CentralShipper(configuration: configuration, client: client, database: store.database, committed: store.committed,
                                     logger: logger)
        }

        /// The proxy's recorder: in `required` mode, requests wait for PostgreSQL too.
        func required(_ next: any ProxyRecorder, store: StoreWriter) -> any ProxyRecorder {
            guard configuration.mode == .required else { return next }
            return CentralRequiredRecorder(next: next, shipper: shipper, committed: store.committed)
        }

        func runtime(reviews: ReviewQueue, access: AccessPolicy, store: StoreWriter, storeRecorder: StoreRecorder,
                     recorder: any ProxyRecorder, eventLoop: any EventLoop) -> CentralRuntime {
            let known = Set(((try? StoreReader(store.database).grants()) ?? []).map(\.grant.id))
            let fleet = CentralFleet(configuration: configuration, client: client, reviews: reviews, grants: access.grants,
                                     recordedGrantIDs: known, recorder: recorder, requestID: { storeRecorder.storeRequestID($0) },
                                     eventLoop: eventLoop, logger: logger)
            return CentralRuntime(configuration: configuration, client: client, shipper: shipper, fleet: fleet, logger: logger)
        }
    }
}
