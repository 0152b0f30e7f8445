import Foundation
import Kube

/// One row of `requests` with its response (when one is recorded), the facts of its connection
/// the export needs, and a summary of its stream.
public struct RecordedRequest: Sendable, Hashable {
    public var seq: Int64
    public var id: Int64
    public var connectionID: Int64
    public var receivedAt: Int64
    public var method: String
    public var uri: String
    public var verb: String
    public var apiGroup: String
    public var apiVersion: String
    public var resource: String
    public var subresource: String
    public var namespace: String
    public var name: String
    public var isResourceRequest: Bool
    /// The kubectl-like sentence: "delete namespace prod".
    public var intent: String
    public var auditID: String
    public var userAgent: String
    /// `nil` when the request was refused before or during authentication.
    public var identity: RecordedIdentity?
    /// Loaded only with bodies.
    public var headers: [RecordedHeader]
    /// Loaded only with bodies.
    public var body: [UInt8]?
    public var bodyTruncated: Bool
    public var decision: String?
    public var decisionRule: String?
    public var decisionReason: String?
    /// For a request held for review: how the review ended.
    public var review: RecordedReview?
    public var response: RecordedResponse?
    /// Present when the request has stream events.
    public var stream: StreamSummary?
    /// Facts of the connection the request came on.
    public var peer: String?
    public var callerAddress: String?
    public var cluster: String?
    /// The run the request belongs to (authenticated requests recorded since runs exist).
    public var runID: Int64?
    /// The connection's caller: uid, cgroup, unit, container, pod.
    public var caller: CallerRecord?
    /// The run's claims and token fingerprint.
    public var runClaims: [String: String] = [:]
    public var tokenFingerprint: String?
    /// The object's name from the request body (a create's URL has none); loaded for runs' timelines.
    public var objectName: String?
    /// kubectl's `Kubectl-Session` (one per invocation) and `Kubectl-Command` (`kubectl apply`)
    /// headers; loaded for runs' timelines.
    public var kubectlSession: String?
    public var kubectlCommand: String?
    /// On a relay's record: the gateway the request came through, and the agent's source as that
    /// gateway reported it (a JSON object, kept as sent; never verified).
    public var gateway: String?
    public var reportedSource: String?

    public init(seq: Int64, id: Int64, connectionID: Int64, receivedAt: Int64, method: String, uri: String, verb: String,
                apiGroup: String = "", apiVersion: String = "", resource: String = "", subresource: String = "",
                namespace: String = "", name: String = "", isResourceRequest: Bool, intent: String, auditID: String,
                userAgent: String = "", identity: RecordedIdentity? = nil, headers: [RecordedHeader] = [], body: [UInt8]? = nil,
                bodyTruncated: Bool = false, decision: String? = nil, decisionRule: String? = nil, decisionReason: String? = nil,
                response: RecordedResponse? = nil, stream: StreamSummary? = nil, peer: String? = nil, callerAddress: String? = nil,
                cluster: String? = nil) {
        self.seq = seq
        self.id = id
        self.connectionID = connectionID
        self.receivedAt = receivedAt
        self.method = method
        self.uri = uri
        self.verb = verb
        self.apiGroup = apiGroup
        self.apiVersion = apiVersion
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
        self.isResourceRequest = isResourceRequest
        self.intent = intent
        self.auditID = auditID
        self.userAgent = userAgent
        self.identity = identity
        self.headers = headers
        self.body = body
        self.bodyTruncated = bodyTruncated
        self.decision = decision
        self.decisionRule = decisionRule
        self.decisionReason = decisionReason
        self.response = response
        self.stream = stream
        self.peer = peer
        self.callerAddress = callerAddress
        self.cluster = cluster
    }

    public var reference: RecordReference { .request(id) }

    /// The decision that stood: a review's, else the policy's.
    public var finalDecision: String? { review?.decision ?? decision }

    public var outcome: RequestOutcome { RequestOutcome.classify(decision: finalDecision, rejected: response?.rejected) }

    /// The request as kube-apiserver's RequestInfo states it, rebuilt from the recorded columns.
    public var info: RequestInfo {
        let rawPath = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        let path = rawPath.removingPercentEncoding ?? rawPath
        return RequestInfo(isResourceRequest: isResourceRequest, path: path, verb: verb, apiGroup: apiGroup, apiVersion: apiVersion,
                           namespace: namespace, resource: resource, subresource: subresource, name: name)
    }

    /// Whether kube-apiserver treats the request as long-running (watch, exec, attach, logs, ...).
    public var isLongRunning: Bool { info.isLongRunning }

    /// Whether the request is an exec or attach, whose stream can be played back to a terminal.
    public var isTerminalSession: Bool { subresource == "exec" || subresource == "attach" }

    /// Microseconds from receipt to the end of the response (the whole stream for long-running
    /// requests); `nil` without a response.
    public var duration: Int64? { response.map { $0.completedAt - receivedAt } }

    /// Microseconds from receipt to the response's start (headers out, stream open); for a
    /// request without a separate start, the whole duration.
    public var latency: Int64? {
        guard let response else { return nil }
        if isLongRunning, let started = response.startedAt { return started - receivedAt }
        return response.completedAt - receivedAt
    }
}
