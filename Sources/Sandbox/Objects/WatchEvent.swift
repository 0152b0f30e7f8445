import Kube

/// One change to a stored object, as a watch delivers it.
public struct WatchEvent: Sendable, Hashable {
    public enum EventType: String, Sendable, Hashable {
        case added = "ADDED", modified = "MODIFIED", deleted = "DELETED"
    }

    public var type: EventType
    public var resourceVersion: Int64
    public var resource: GroupResource
    public var namespace: String
    public var object: JSONValue
}
