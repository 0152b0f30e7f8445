import Foundation
import Kube
import Proxy

/// What the recorder holds for one request between its events: enough to attribute and redact
/// its response and to decode its stream. Every use holds `lock`; a request's events come from
/// one event loop, in order, so the lock is never contended in practice.
final class RequestRecording: @unchecked Sendable {
    let lock = NSLock()
    let id: Int64
    let connection: Int64?
    let receivedAt: KubeTime?
    let info: RequestInfo
    let headers: [(name: String, value: String)]
    /// A request to the core `secrets` resource: bodies that are not JSON are not kept.
    let aboutSecrets: Bool
    /// `log` with `follow=true`: the body is a stream of lines.
    let followsLogs: Bool
    var response: ResponseRecording?
    /// A responses row was appended (committed or pending): a later refusal amends it.
    var responseAppended = false
    /// The run the request belongs to, when it was authenticated.
    let runID: Int64?

    init(id: Int64, record: RequestRecord?, connection: Int64?, runID: Int64? = nil) {
        self.id = id
        self.connection = connection
        self.runID = runID
        receivedAt = record?.time
        info = record?.info ?? RequestInfo(path: "", verb: "")
        headers = record?.headers ?? []
        aboutSecrets = Self.isAboutSecrets(info)
        let follow = record.map { RequestTarget($0.uri).query["follow"] } ?? nil
        followsLogs = info.subresource == "log" && ["1", "t", "T", "true", "TRUE", "True"].contains(follow ?? "")
    }

    static func isAboutSecrets(_ info: RequestInfo) -> Bool {
        info.isResourceRequest && info.apiGroup.isEmpty && info.resource == "secrets"
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
