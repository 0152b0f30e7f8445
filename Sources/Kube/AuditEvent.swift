/// An `audit.k8s.io/v1` Event, as kube-apiserver writes one per audit stage.
///
/// ``jsonBytes()`` writes the fields in the Go struct's order, omitting empty ones as Go does, so
/// tools that read kube-apiserver audit logs read ours. ``init(json:)`` reads such lines back.
public struct AuditEvent: Sendable, Hashable {
    public enum Level: String, Sendable, Hashable, CaseIterable {
        case none = "None", metadata = "Metadata", request = "Request", requestResponse = "RequestResponse"
    }

    public enum Stage: String, Sendable, Hashable, CaseIterable {
        case requestReceived = "RequestReceived", responseStarted = "ResponseStarted"
        case responseComplete = "ResponseComplete", panic = "Panic"
    }

    public var level: Level
    public var auditID: String
    public var stage: Stage
    public var requestURI: String
    public var verb: String
    public var user: UserInfo
    public var impersonatedUser: UserInfo?
    public var sourceIPs: [String]
    public var userAgent: String
    public var objectRef: ObjectReference?
    public var responseStatus: Status?
    public var requestObject: JSONValue?
    public var responseObject: JSONValue?
    public var requestReceivedTimestamp: KubeTime
    public var stageTimestamp: KubeTime
    public var annotations: [String: String]

    public init(level: Level, auditID: String, stage: Stage, requestURI: String, verb: String, user: UserInfo,
                impersonatedUser: UserInfo? = nil, sourceIPs: [String] = [], userAgent: String = "",
                objectRef: ObjectReference? = nil, responseStatus: Status? = nil, requestObject: JSONValue? = nil,
                responseObject: JSONValue? = nil, requestReceivedTimestamp: KubeTime, stageTimestamp: KubeTime,
                annotations: [String: String] = [:]) {
        self.level = level
        self.auditID = auditID
        self.stage = stage
        self.requestURI = requestURI
        self.verb = verb
        self.user = user
        self.impersonatedUser = impersonatedUser
        self.sourceIPs = sourceIPs
        self.userAgent = userAgent
        self.objectRef = objectRef
        self.responseStatus = responseStatus
        self.requestObject = requestObject
        self.responseObject = responseObject
        self.requestReceivedTimestamp = requestReceivedTimestamp
        self.stageTimestamp = stageTimestamp
        self.annotations = annotations
    }

    /// kube-apiserver truncates user agents to this length, adding ``truncatedSuffix``.
    public static let maxUserAgentLength = 1024
    public static let truncatedSuffix = "...TRUNCATED"

    /// The user agent as kube-apiserver records it. Go cuts at 1024 bytes, possibly inside a
    /// UTF-8 sequence; its JSON encoder then writes each stray byte as U+FFFD, and so do we.
    public static func recordedUserAgent(_ userAgent: String) -> String {
        let bytes = Array(userAgent.utf8)
        guard bytes.count > maxUserAgentLength else { return userAgent }
        var cut = maxUserAgentLength
        while cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        let stray = maxUserAgentLength - cut
        return String(decoding: bytes[..<cut], as: UTF8.self) + String(repeating: "\u{FFFD}", count: stray) + truncatedSuffix
    }

    /// One JSON line, without the newline.
    public func jsonBytes() -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.string("kind", "Event")
        w.string("apiVersion", "audit.k8s.io/v1")
        w.string("level", level.rawValue)
        w.string("auditID", auditID)
        w.string("stage", stage.rawValue)
        w.string("requestURI", requestURI)
        w.string("verb", verb)
        w.raw("user", user.jsonBytes())
        if let impersonatedUser { w.raw("impersonatedUser", impersonatedUser.jsonBytes()) }
        if !sourceIPs.isEmpty { w.stringArray("sourceIPs", sourceIPs) }
        w.stringOmitEmpty("userAgent", userAgent)
        if let objectRef { w.raw("objectRef", objectRef.jsonBytes()) }
        if let responseStatus { w.raw("responseStatus", responseStatus.nestedJSONBytes()) }
        if let requestObject { w.value("requestObject", requestObject) }
        if let responseObject { w.value("responseObject", responseObject) }
        w.string("requestReceivedTimestamp", requestReceivedTimestamp.rfc3339Micro)
        w.string("stageTimestamp", stageTimestamp.rfc3339Micro)
        if !annotations.isEmpty {
            w.object("annotations") { a in
                for key in annotations.keys.sorted(by: GoJSON.keyOrder) { a.string(key, annotations[key] ?? "") }
            }
        }
        return w.finish()
    }

    public var jsonString: String { String(decoding: jsonBytes(), as: UTF8.self) }

    /// Reads an Event from one audit log line.
    public init(json: JSONValue) throws(AuditEventDecodingError) {
        func required(_ key: String) throws(AuditEventDecodingError) -> String {
            guard let v = json[key]?.stringValue else { throw AuditEventDecodingError(field: key, message: "missing or not a string") }
            return v
        }
        func time(_ key: String) throws(AuditEventDecodingError) -> KubeTime {
            guard let t = KubeTime(rfc3339: try required(key)) else {
                throw AuditEventDecodingError(field: key, message: "not an RFC 3339 time")
            }
            return t
        }
        guard json["kind"]?.stringValue == "Event", json["apiVersion"]?.stringValue == "audit.k8s.io/v1" else {
            throw AuditEventDecodingError(field: "kind", message: "not an audit.k8s.io/v1 Event")
        }
        guard let level = Level(rawValue: try required("level")) else {
            throw AuditEventDecodingError(field: "level", message: "unknown level")
        }
        guard let stage = Stage(rawValue: try required("stage")) else {
            throw AuditEventDecodingError(field: "stage", message: "unknown stage")
        }
        guard let user = json["user"], case .object = user else {
            throw AuditEventDecodingError(field: "user", message: "missing or not an object")
        }
        self.level = level
        self.stage = stage
        self.user = UserInfo(json: user)
        auditID = try required("auditID")
        requestURI = try required("requestURI")
        verb = try required("verb")
        impersonatedUser = json["impersonatedUser"].map(UserInfo.init(json:))
        sourceIPs = (json["sourceIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        userAgent = json["userAgent"]?.stringValue ?? ""
        objectRef = json["objectRef"].map(ObjectReference.init(json:))
        if let status = json["responseStatus"] {
            do { responseStatus = try Status(json: status) } catch {
                throw AuditEventDecodingError(field: "responseStatus", message: error.message)
            }
        } else {
            responseStatus = nil
        }
        requestObject = json["requestObject"]
        responseObject = json["responseObject"]
        requestReceivedTimestamp = try time("requestReceivedTimestamp")
        stageTimestamp = try time("stageTimestamp")
        var annotations: [String: String] = [:]
        for (k, v) in json["annotations"]?.objectValue ?? [:] { annotations[k] = v.stringValue ?? "" }
        self.annotations = annotations
    }

    public init(jsonLine: some Sequence<UInt8>) throws(AuditEventDecodingError) {
        let json: JSONValue
        do { json = try JSONParser.parse(jsonLine) } catch {
            throw AuditEventDecodingError(field: "", message: "not JSON: \(error)")
        }
        try self.init(json: json)
    }
}

public struct AuditEventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// The object an audit Event is about (`audit.k8s.io/v1` ObjectReference).
public struct ObjectReference: Sendable, Hashable {
    public var resource: String
    public var namespace: String
    public var name: String
    public var uid: String
    public var apiGroup: String
    public var apiVersion: String
    public var resourceVersion: String
    public var subresource: String

    public init(resource: String = "", namespace: String = "", name: String = "", uid: String = "",
                apiGroup: String = "", apiVersion: String = "", resourceVersion: String = "", subresource: String = "") {
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.apiGroup = apiGroup
        self.apiVersion = apiVersion
        self.resourceVersion = resourceVersion
        self.subresource = subresource
    }

    /// The reference kube-apiserver records for a resource request; `nil` for a non-resource one.
    public init?(_ info: RequestInfo) {
        guard info.isResourceRequest else { return nil }
        self.init(resource: info.resource, namespace: info.namespace, name: info.name, apiGroup: info.apiGroup,
                  apiVersion: info.apiVersion, subresource: info.subresource)
    }

    init(json: JSONValue) {
        func s(_ k: String) -> String { json[k]?.stringValue ?? "" }
        self.init(resource: s("resource"), namespace: s("namespace"), name: s("name"), uid: s("uid"),
                  apiGroup: s("apiGroup"), apiVersion: s("apiVersion"), resourceVersion: s("resourceVersion"),
                  subresource: s("subresource"))
    }

    func jsonBytes() -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.stringOmitEmpty("resource", resource)
        w.stringOmitEmpty("namespace", namespace)
        w.stringOmitEmpty("name", name)
        w.stringOmitEmpty("uid", uid)
        w.stringOmitEmpty("apiGroup", apiGroup)
        w.stringOmitEmpty("apiVersion", apiVersion)
        w.stringOmitEmpty("resourceVersion", resourceVersion)
        w.stringOmitEmpty("subresource", subresource)
        return w.finish()
    }
}
