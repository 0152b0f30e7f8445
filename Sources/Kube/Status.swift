/// A `meta.k8s.io/v1` Status, the body kube-apiserver sends with every error.
///
/// ``jsonBytes()`` writes the fields in the Go struct's order with Go's escaping and a trailing
/// newline, so the bytes equal kube-apiserver's and kubectl prints its usual messages.
public struct Status: Sendable, Hashable, Error {
    public var status: String?
    public var message: String?
    public var reason: String?
    public var details: StatusDetails?
    public var code: Int

    public init(status: String? = "Failure", message: String? = nil, reason: String? = nil,
                details: StatusDetails? = nil, code: Int) {
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }

    public static let failure = "Failure"
    public static let success = "Success"

    /// The Status as kube-apiserver writes it, newline-terminated.
    public func jsonBytes() -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.string("kind", "Status")
        w.string("apiVersion", "v1")
        w.raw("metadata", Array("{}".utf8))
        writeBody(into: &w)
        return w.finish() + [UInt8(ascii: "\n")]
    }

    /// The Status as it appears nested in an audit Event's `responseStatus` or in a watch
    /// ERROR event: no kind and apiVersion.
    public func nestedJSONBytes() -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.raw("metadata", Array("{}".utf8))
        writeBody(into: &w)
        return w.finish()
    }

    private func writeBody(into w: inout GoJSONObjectWriter) {
        w.stringOmitEmpty("status", status)
        w.stringOmitEmpty("message", message)
        w.stringOmitEmpty("reason", reason)
        if let details {
            w.raw("details", details.jsonBytes())
        }
        w.intOmitEmpty("code", Int64(code))
    }

    public var jsonString: String { String(decoding: jsonBytes(), as: UTF8.self) }

    /// Decodes a Status from JSON, as written by kube-apiserver or by ``jsonBytes()``.
    public init(json: JSONValue) throws(StatusDecodingError) {
        guard case .object = json else { throw StatusDecodingError(message: "a Status must be a JSON object") }
        if let kind = json["kind"]?.stringValue, kind != "Status" {
            throw StatusDecodingError(message: "expected kind Status, got \(kind)")
        }
        // Go writes these fields `omitempty`: an empty string and no field are the same Status.
        status = json["status"]?.nonEmptyString
        message = json["message"]?.nonEmptyString
        reason = json["reason"]?.nonEmptyString
        code = Int(json["code"]?.intValue ?? 0)
        details = json["details"].map(StatusDetails.init(json:))
    }
}

public struct StatusDecodingError: Error, Sendable, Equatable {
    public var message: String
}

public struct StatusDetails: Sendable, Hashable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var causes: [StatusCause]
    public var retryAfterSeconds: Int?

    public init(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
                causes: [StatusCause] = [], retryAfterSeconds: Int? = nil) {
        self.name = name
        self.group = group
        self.kind = kind
        self.uid = uid
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }

    init(json: JSONValue) {
        name = json["name"]?.nonEmptyString
        group = json["group"]?.nonEmptyString
        kind = json["kind"]?.nonEmptyString
        uid = json["uid"]?.nonEmptyString
        causes = (json["causes"]?.arrayValue ?? []).map {
            StatusCause(reason: $0["reason"]?.nonEmptyString, message: $0["message"]?.nonEmptyString,
                        field: $0["field"]?.nonEmptyString)
        }
        retryAfterSeconds = json["retryAfterSeconds"]?.intValue.flatMap { $0 == 0 ? nil : Int($0) }
    }

    func jsonBytes() -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.stringOmitEmpty("name", name)
        w.stringOmitEmpty("group", group)
        w.stringOmitEmpty("kind", kind)
        w.stringOmitEmpty("uid", uid)
        if !causes.isEmpty {
            w.objectArray("causes", causes) { cause, c in
                c.stringOmitEmpty("reason", cause.reason)
                c.stringOmitEmpty("message", cause.message)
                c.stringOmitEmpty("field", cause.field)
            }
        }
        w.intOmitEmpty("retryAfterSeconds", retryAfterSeconds.map(Int64.init))
        return w.finish()
    }
}

public struct StatusCause: Sendable, Hashable {
    /// Serialized as `reason`, as in metav1.StatusCause.
    public var reason: String?
    public var message: String?
    public var field: String?

    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}

extension JSONValue {
    /// A string that is not empty; nil for "" and for anything else (Go's `omitempty` view).
    var nonEmptyString: String? {
        guard case .string(let text) = self, !text.isEmpty else { return nil }
        return text
    }
}
