import Foundation
import Intercept
import Kube
import Logging
import NIOCore
import Proxy
import Synchronization

/// Records the proxy's and Intercept's events in the store, through the ``StoreWriter``.
///
/// Invariants:
/// - `.requestReceived`'s future completes only when the request's row is committed (no record,
///   no access); every other event's future completes when its rows are committed, or at once
///   when it has none yet (a response's head and body become one row when it completes).
/// - Credential headers and Secret values are redacted before a row exists (``RedactionConfiguration``).
/// - Nothing blocks: rows are built on the caller's thread and handed to the writer, which refuses
///   at once what it cannot take (and keeps it for later when it can, see ``StoreWriter``).
/// - A response's rows for a watch, followed logs or an upgraded connection are appended as the
///   bytes flow; none of them is held whole in memory.
public final class StoreRecorder: ProxyRecorder, InterceptRecorder {
    public let writer: StoreWriter
    public let configuration: StoreRecorderConfiguration
    private let context: RecordingContext
    private let identifiers: RecordedIdentifiers
    private let runs: RunTracker
    private let logger: Logger
    private let state = Mutex(RecorderState())

    private struct RecorderState: ~Copyable {
        var requests: [UInt64: RequestRecording] = [:]
        /// Requests of each open connection, to finish what is open when it closes.
        var connections: [UInt64: [UInt64]] = [:]
        /// Where each open connection's caller is, for its requests' runs.
        var places: [UInt64: RunPlace] = [:]
        /// Connections recently closed, so a second close is not recorded twice.
        var closed = RecentIDs(capacity: 4096)
        /// Requests whose connection closed recently: an event of theirs arriving later (a watch's
        /// upstream still sending after the client left) gets a recording that is not kept.
        var ended = RecentIDs(capacity: 4096)
    }

    /// How many requests the recorder holds state for: those open, and streams. It must not grow
    /// with the number of requests or connections that came and went.
    public var requestsHeld: Int { state.withLock { $0.requests.count } }

    public init(writer: StoreWriter, configuration: StoreRecorderConfiguration = StoreRecorderConfiguration(),
                logger: Logger = Logger(label: "portcullis.store")) throws {
        self.writer = writer
        self.configuration = configuration
        self.logger = logger
        context = RecordingContext(bodyLimit: configuration.bodyLimit, maxStreamMessageBytes: configuration.maxStreamMessageBytes,
                                   headers: HeaderRedactor(configuration.redaction), bodies: BodyRedactor(configuration.redaction))
        identifiers = try RecordedIdentifiers(database: writer.database, mapping: configuration.identifiers)
        runs = try RunTracker(database: writer.database, idle: configuration.runIdle, now: StoreClock.now().microseconds)
    }

    /// The id the store gives the proxy's request `id` (`r<N>` in the record and in the central store).
    public func storeRequestID(_ id: RequestID) -> Int64 { identifiers.request(id) }

    // MARK: - ProxyRecorder

    public func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        switch event {
        case .connectionOpened(let opened):
            state.withLock { state in
                state.connections[opened.id.value] = []
                state.places[opened.id.value] = RunPlace(opened.caller, gateway: opened.gateway)
            }
            return append([RecordRows.connection(opened, id: identifiers.connection(opened.id))], on: eventLoop)
        case .connectionRefused(let refused):
            return append([RecordRows.refusedConnection(refused, id: identifiers.refusedConnection())], on: eventLoop)
        case .connectionClosed(let id, let time):
            return connectionClosed(id, time: time, reason: nil, on: eventLoop)
        case .connectionEnded(let id, let time, let reason):
            return connectionClosed(id, time: time, reason: reason, on: eventLoop)
        case .requestReceived(let record):
            return requestReceived(record, on: eventLoop)
        case .requestRejected(let id, let time, let status, let reason):
            return requestRejected(id, time: time, status: status, reason: reason, on: eventLoop)
        case .responseStarted(let id, let time, let status, let headers):
            let request = recording(for: id)
            request.withLock {
                request.response = ResponseRecording(startedAt: time, status: status, headers: headers, request: request, context: context)
            }
            return eventLoop.makeSucceededVoidFuture()
        case .responseBody(let id, let bytes):
            let request = recording(for: id)
            let rows = request.withLock { () -> [StoreRow] in
                let response = request.response ?? startResponse(request, status: 200)
                return response.body(bytes, time: StoreClock.now(), request: request, context: context)
            }
            return append(rows, on: eventLoop)
        case .responseCompleted(let id, let time, let bytes):
            let request = recording(for: id)
            let rows = request.withLock { () -> [StoreRow] in
                let response = request.response ?? startResponse(request, status: 0)
                request.response = nil
                request.responseAppended = true
                return response.finish(time: time, bytes: bytes, request: request, context: context)
            }
            if let run = request.runID { runs.touch(run, at: time.microseconds) }
            forgetIfOrphan(request, id: id)
            return append(rows, key: Self.responseKey(request.id), on: eventLoop)
        case .streamData(let id, let time, let direction, let bytes):
            guard let request = state.withLock({ $0.requests[id.value] }) else {
                // Bytes after the connection's record was finished: kept as they are.
                let row = RecordRows.streamEvent(request: identifiers.request(id), time: time, direction: direction,
                                                 channel: StreamChunk.raw, data: bytes)
                return append(bytes.isEmpty ? [] : [row], on: eventLoop)
            }
            let rows = request.withLock { () -> [StoreRow] in
                let response = request.response ?? startResponse(request, status: 101)
                return response.stream(bytes, direction: direction, time: time, request: request)
            }
            return append(rows, on: eventLoop)
        case .reviewDecided(let id, let time, let verdict):
            return append([RecordRows.review(request: identifiers.request(id), time: time, verdict: verdict)], on: eventLoop)
        case .grantIssued(let grant):
            return append([RecordRows.grant(grant)], on: eventLoop)
        case .grantRevoked(let id, let time, let by, let reason):
            return append([RecordRows.grantRevocation(id: id, time: time, by: by, reason: reason)], on: eventLoop)
        }
    }

    // MARK: - InterceptRecorder

    public func record(_ event: InterceptEvent) {
        let row: StoreRow
        switch event {
        case .bypassAttempt(let attempt): row = RecordRows.guardEvent(attempt)
        case .refusedConnection(let refused): row = RecordRows.refusedConnection(refused, id: identifiers.refusedConnection())
        case .tamper(let tamper): row = RecordRows.tamperEvent(tamper)
        }
        writer.append([row]) { [logger] result in
            if case .failure(let error) = result { logger.warning("an Intercept event is not recorded yet", metadata: ["error": "\(error)"]) }
        }
    }

    // MARK: - Events

    private func requestReceived(_ record: RequestRecord, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let id = identifiers.request(record.id)
        let connection = identifiers.connection(record.connection)
        let (run, runRows) = self.run(of: record)
        let request = RequestRecording(id: id, record: record, connection: connection, runID: run)
        state.withLock { state in
            // Requests on a connection are sequential: earlier ones can get no more events but a
            // refusal of a held response, which comes before the next request is read.
            for earlier in state.connections[record.connection.value] ?? [] { state.requests[earlier] = nil }
            state.connections[record.connection.value] = [record.id.value]
            state.requests[record.id.value] = request
        }
        let contentType = record.headers.first { $0.name.lowercased() == "content-type" }?.value
        let body = context.bodies.redact(record.body, contentType: contentType, aboutSecrets: request.aboutSecrets,
                                         topLevelIsSecret: request.aboutSecrets, wasCut: record.bodyTruncated)
        var row = RecordRows.request(record, id: id, connection: connection, headers: context.headers.redact(record.headers),
                                     body: body.body, bodyTruncated: record.bodyTruncated || body.cut)
        row["run_id"] = StoreValue(run)
        return append(runRows + [row], key: "request:\(id)", on: eventLoop)
    }

    /// The run of an authenticated request, with the run's row when the request starts it.
    private func run(of record: RequestRecord) -> (Int64?, [StoreRow]) {
        guard let identity = record.identity, let fingerprint = record.tokenFingerprint else { return (nil, []) }
        let place = state.withLock { $0.places[record.connection.value] } ?? RunPlace()
        let key = RunTracker.Key(uid: place.uid, cgroupID: place.cgroupID, cgroup: place.cgroup, callerAddress: place.callerAddress,
                                 gateway: place.gateway, username: identity.username, tokenFingerprint: fingerprint)
        let (id, isNew) = runs.assign(key, at: record.time.microseconds)
        guard isNew else { return (id, []) }
        return (id, [RecordRows.run(id: id, startedAt: record.time, place: place, identity: identity, fingerprint: fingerprint)])
    }

    private func requestRejected(_ id: RequestID, time: KubeTime, status: Status, reason: String,
                                 on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let request = recording(for: id)
        let (started, alreadyAppended) = request.withLock { () -> (KubeTime?, Bool) in
            defer { request.response = nil }
            return (request.response?.startedAt, request.responseAppended)
        }
        if alreadyAppended {
            // The upstream's response is recorded (or kept) but the client got our refusal instead.
            let note = "withheld from the client, which got \(status.code): \(reason)"
            if writer.amend(key: Self.responseKey(request.id), { $0["reason"] = .text(note) }) == .notPending {
                logger.error("a refusal after a recorded response could not be noted", metadata: ["request": "\(id)", "reason": "\(reason)"])
            }
            return eventLoop.makeSucceededVoidFuture()
        }
        request.withLock { request.responseAppended = true }
        forgetIfOrphan(request, id: id)
        let body = status.jsonBytes()
        let row = RecordRows.response(request: request.id, startedAt: started, completedAt: time, status: status.code,
                                      headers: [("Content-Type", "application/json")], body: body, bodyTruncated: false,
                                      bytes: body.count, rejected: true, reason: reason)
        return append([row], key: Self.responseKey(request.id), on: eventLoop)
    }

    private func connectionClosed(_ id: ConnectionID, time: KubeTime, reason: String?, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let (isDuplicate, open) = state.withLock { state -> (Bool, [RequestRecording]) in
            guard state.closed.insert(id.value) else { return (true, []) }
            state.places[id.value] = nil
            let ids = state.connections.removeValue(forKey: id.value) ?? []
            for request in ids { state.ended.insert(request) }
            return (false, ids.compactMap { state.requests.removeValue(forKey: $0) })
        }
        if isDuplicate { return eventLoop.makeSucceededVoidFuture() }
        var futures: [EventLoopFuture<Void>] = []
        for request in open {
            // A response still open (an upgraded stream, a watch the client left) ends with its connection.
            let rows = request.withLock { () -> [StoreRow] in
                guard let response = request.response else { return [] }
                request.response = nil
                request.responseAppended = true
                return response.finish(time: time, bytes: nil, request: request, context: context)
            }
            if !rows.isEmpty { futures.append(append(rows, key: Self.responseKey(request.id), on: eventLoop)) }
        }
        futures.append(append([RecordRows.connectionEnd(id: identifiers.connection(id), time: time, reason: reason)], on: eventLoop))
        return EventLoopFuture.andAllSucceed(futures, on: eventLoop)
    }

    // MARK: - Helpers

    /// The request's recording; one made up from what is known when its `requestReceived` was
    /// not seen (so its response is still recorded).
    private func recording(for id: RequestID) -> RequestRecording {
        state.withLock { state in
            if let existing = state.requests[id.value] { return existing }
            let made = RequestRecording(id: identifiers.request(id), record: nil, connection: nil)
            if !state.ended.contains(id.value) { state.requests[id.value] = made }
            return made
        }
    }

    /// A recording made up for a request whose `requestReceived` was not seen belongs to no
    /// connection, so nothing else would drop it once its response is recorded.
    private func forgetIfOrphan(_ request: RequestRecording, id: RequestID) {
        guard request.connection == nil else { return }
        state.withLock { state in
            if state.requests[id.value] === request { state.requests[id.value] = nil }
        }
    }

    /// A response whose head was not seen (lock held).
    private func startResponse(_ request: RequestRecording, status: Int) -> ResponseRecording {
        let response = ResponseRecording(startedAt: nil, status: status, headers: [], request: request, context: context)
        request.response = response
        return response
    }

    private func append(_ rows: [StoreRow], key: String? = nil, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard !rows.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        return writer.append(rows, key: key, on: eventLoop)
    }

    static func responseKey(_ id: Int64) -> String { "response:\(id)" }
}
