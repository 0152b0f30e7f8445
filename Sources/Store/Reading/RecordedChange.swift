import Kube

/// One mutation of a run (create, update, patch, delete, deletecollection), with what it changed
/// when the API server accepted it, or why it did not happen.
public struct RecordedChange: Sendable, Hashable {
    public var request: Int64
    public var receivedAt: Int64
    public var verb: String
    public var apiGroup: String
    public var resource: String
    public var subresource: String
    public var namespace: String
    public var name: String
    public var status: Int?
    public var outcome: RequestOutcome
    /// A create's object as the API server returned it; a delete's last recorded state.
    public var object: JSONValue?
    /// An update's or patch's fields, against the object's last recorded state.
    public var fields: [FieldChange]
    /// The request whose response gave the last recorded state, for a diff or a delete.
    public var earlierState: Int64?
    /// An update or patch without an earlier state: the body as sent.
    public var sent: String?
    /// Why a refused or failed change did not happen.
    public var reason: String?
    /// The request's intent, as recorded.
    public var intent: String

    public init(request: Int64, receivedAt: Int64, verb: String, apiGroup: String = "", resource: String, subresource: String = "",
                namespace: String = "", name: String = "", status: Int? = nil, outcome: RequestOutcome, object: JSONValue? = nil,
                fields: [FieldChange] = [], earlierState: Int64? = nil, sent: String? = nil, reason: String? = nil, intent: String = "") {
        self.request = request
        self.receivedAt = receivedAt
        self.verb = verb
        self.apiGroup = apiGroup
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
        self.status = status
        self.outcome = outcome
        self.object = object
        self.fields = fields
        self.earlierState = earlierState
        self.sent = sent
        self.reason = reason
        self.intent = intent
    }

    /// Whether the API server accepted it: forwarded and answered 2xx.
    public var accepted: Bool { outcome == .allowed && (200..<300).contains(status ?? 0) }

    /// `created`, `updated`, `patched`, `deleted`, `deleted all`.
    public var action: String {
        switch verb {
        case "create": "created"
        case "update": "updated"
        case "patch": "patched"
        case "delete": "deleted"
        case "deletecollection": "deleted all"
        default: verb
        }
    }

    /// `deployment api -n demo`, `pods -n demo` (a collection), `namespace demo`.
    public var target: String {
        var text = name.isEmpty ? resource : ResourceNames.singular(resource) + " " + name
        if !subresource.isEmpty { text += " (\(subresource))" }
        if !namespace.isEmpty, resource != "namespaces" { text += " -n " + namespace }
        return text
    }
}

