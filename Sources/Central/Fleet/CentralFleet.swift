import Kube
import Logging
import NIOCore
import PostgresNIO
import Proxy
import Store
import Synchronization

/// Reviews and grants across the fleet, for one gateway: requests it holds are shown in the
/// central store, and decisions and grants made there reach it within a second.
///
/// Invariants:
/// - A held request is written to `held_requests` (retried until it is); a decision found for it
///   in `review_decisions` decides it in the local ``ReviewQueue``, as an approval over the admin
///   socket would, naming the database role that decided. The local socket keeps working.
/// - A central grant for this host (or every host) is recorded locally before it is in force, and
///   its revocation before it ends; a grant id the local record already holds is never applied
///   again, so a grant revoked here over the admin socket stays revoked here.
/// - Notifications (LISTEN) make it fast; a poll every `central.pollInterval`, and at once after
///   every reconnection, makes it certain.
public final class CentralFleet: Sendable {
    public let configuration: CentralConfiguration
    let client: PostgresClient
    let reviews: ReviewQueue
    let grants: GrantBook
    let recorder: any ProxyRecorder
    let requestID: @Sendable (RequestID) -> Int64
    let eventLoop: any EventLoop
    let logger: Logger
    private let wake = WakeSignal()
    private let state: Mutex<FleetState>

    struct FleetState {
        /// Held requests not yet written to the central store, by their queue number.
        var unpublished: [UInt64: HeldRequest] = [:]
        /// Every grant id in the local record: applied once, never again.
        var knownGrants: Set<String>
        var lastError: String?
        var listening = false
    }

    public init(configuration: CentralConfiguration, client: PostgresClient, reviews: ReviewQueue, grants: GrantBook,
                recordedGrantIDs: Set<String>, recorder: any ProxyRecorder, requestID: @escaping @Sendable (RequestID) -> Int64,
                eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.reviews = reviews
        self.grants = grants
        self.recorder = recorder
        self.requestID = requestID
        self.eventLoop = eventLoop
        self.logger = logger
        self.state = Mutex(FleetState(knownGrants: recordedGrantIDs))
        reviews.observePublished { [weak self] held in
            guard let self else { return }
            self.state.withLock { $0.unpublished[held.id] = held }
            self.wake.notify()
        }
    }

    var store: String { configuration.endpointDescription }
    var host: String { configuration.hostName }

    /// Whether the notification connection is up, and the last error, for status.
    public var health: (listening: Bool, lastError: String?) { state.withLock { ($0.listening, $0.lastError) } }

    /// Listens and polls until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listen() }
            group.addTask { await self.poll() }
            await group.waitForAll()
        }
    }

    // MARK: - Notifications

    private func listen() async {
        var backoff = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: CentralSchema.notificationChannel) { notifications in
                        self.state.withLock { $0.listening = true }
                        self.wake.notify()   // notifications may have been missed while disconnected
                        for try await notification in notifications where self.concernsThisHost(notification.payload) {
                            self.wake.notify()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                state.withLock { $0.listening = false }
                note(CentralStoreError.from(error, store: store, doing: "listening for decisions and grants"))
            }
            state.withLock { $0.listening = false }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// "reviews runner-a", "grants *".
    func concernsThisHost(_ payload: String) -> Bool {
        guard let space = payload.firstIndex(of: " ") else { return true }
        let target = payload[payload.index(after: space)...]
        return target == "*" || target == host
    }

    // MARK: - Polling

    private func poll() async {
        while !Task.isCancelled {
            do {
                try await publishHeld()
                try await applyDecisions()
                try await applyGrants()
                state.withLock { $0.lastError = nil }
            } catch {
                note(CentralStoreError.from(error, store: store, doing: "reading decisions and grants"))
            }
            await wake.wait(timeout: configuration.pollInterval)
        }
    }

    private func publishHeld() async throws {
        let waiting = state.withLock { $0.unpublished }
        for (id, held) in waiting.sorted(by: { $0.key < $1.key }) {
            if reviews.held(id) != nil {
                try await CentralReviews.insertHeld(held, storeID: requestID(held.request), host: host, client: client, logger: logger)
            }
            state.withLock { _ = $0.unpublished.removeValue(forKey: id) }
        }
    }

    private func applyDecisions() async throws {
        let pending = reviews.pending()
        guard !pending.isEmpty else { return }
        var byStoreID: [Int64: UInt64] = [:]
        for held in pending { byStoreID[requestID(held.request)] = held.id }
        let decisions = try await CentralReviews.decisions(host: host, requests: Array(byStoreID.keys), client: client, logger: logger)
        for decision in decisions {
            guard let id = byStoreID[decision.requestID] else { continue }
            let by = Principal.centralRole(decision.reviewer)
            let verdict: ReviewVerdict = decision.allow ? .approved(by: by, reason: decision.reason) : .denied(by: by, reason: decision.reason)
            if reviews.decide(id, verdict) {
                logger.notice("a held request was decided through the central store",
                              metadata: ["request": "r\(decision.requestID)", "verdict": "\(verdict.outcome)", "reviewer": "\(decision.reviewer)"])
            }
        }
    }

    private func applyGrants() async throws {
        let now = StoreClock.now()
        let central = try await CentralGrants.forHost(host, client: client, logger: logger, now: now)
        for entry in central {
            if let revocation = entry.revocation {
                guard grants.active(at: now).contains(where: { $0.id == entry.grant.id }) else { continue }
                try await recorder.record(.grantRevoked(id: entry.grant.id, time: StoreClock.now(), by: .centralRole(revocation.by),
                                                        reason: revocation.reason), on: eventLoop).get()
                grants.revoke(entry.grant.id, at: StoreClock.now())
                logger.notice("a grant was revoked through the central store", metadata: ["grant": "\(entry.grant.id)", "by": "\(revocation.by)"])
                continue
            }
            let isNew = state.withLock { $0.knownGrants.insert(entry.grant.id).inserted }
            guard isNew else { continue }
            do {
                try await recorder.record(.grantIssued(entry.grant), on: eventLoop).get()
            } catch {
                state.withLock { _ = $0.knownGrants.remove(entry.grant.id) }
                throw error
            }
            grants.add(entry.grant, at: StoreClock.now())
            logger.notice("a grant made through the central store is in force",
                          metadata: ["grant": "\(entry.grant.id)", "subject": "\(entry.grant.subject)", "by": "\(entry.grant.createdBy)"])
        }
    }

    private func note(_ error: CentralStoreError) {
        let isNew = state.withLock { state -> Bool in
            defer { state.lastError = error.description }
            return state.lastError != error.description
        }
        if isNew { logger.warning("fleet reviews and grants: the central store cannot be read", metadata: ["error": "\(error)"]) }
    }
}
