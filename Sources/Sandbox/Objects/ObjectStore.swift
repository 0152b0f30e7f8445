import Kube
import Synchronization

/// The sandbox's in-memory objects, with one cluster-wide resourceVersion counter and a bounded
/// history of changes for watches.
///
/// Every mutation and every watcher registration happens under one lock, and watchers are called
/// under it, so each watcher sees events in resourceVersion order with no gap between the state it
/// was given and the changes after it. Watcher callbacks must not block (they enqueue).
public final class ObjectStore: Sendable {
    public typealias WatchSink = @Sendable (WatchEvent) -> Void

    struct Watcher {
        var resource: GroupResource
        var filter: ObjectFilter
        var sink: WatchSink
    }

    struct State {
        var objects: [GroupResource: [ObjectKey: JSONValue]] = [:]
        var resourceVersion: Int64 = 1000
        var history: [WatchEvent] = []
        var watchers: [UInt64: Watcher] = [:]
        var nextWatcherID: UInt64 = 1
    }

    struct ObjectKey: Hashable, Comparable {
        var namespace: String
        var name: String
        static func < (a: ObjectKey, b: ObjectKey) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
    }

    /// How many past events a watch can resume from.
    public let historyLimit: Int
    private let state = Mutex(State())

    public init(historyLimit: Int = 10_000) {
        self.historyLimit = historyLimit
    }

    public var currentResourceVersion: Int64 { state.withLock { $0.resourceVersion } }

    public func get(_ type: ResourceType, namespace: String, name: String) -> JSONValue? {
        state.withLock { $0.objects[type.groupResource]?[ObjectKey(namespace: namespace, name: name)] }
    }

    /// The matching objects sorted by namespace and name, and the resourceVersion they are as of.
    public func list(_ type: ResourceType, filter: ObjectFilter) -> (items: [JSONValue], resourceVersion: Int64) {
        state.withLock { s in
            let objects = s.objects[type.groupResource] ?? [:]
            let items = objects.keys.sorted().compactMap { objects[$0] }.filter(filter.matches)
            return (items, s.resourceVersion)
        }
    }

    /// Runs `change` on the current object (nil when absent) and stores what it returns, all
    /// atomically. `change` returns nil to delete. The stored object gets the next resourceVersion.
    /// - Returns: the object after the change, or the deleted object.
    @discardableResult
    public func mutate(_ type: ResourceType, namespace: String, name: String, dryRun: Bool = false,
                       _ change: (JSONValue?, _ nextResourceVersion: Int64) throws(Status) -> JSONValue?) throws(Status) -> JSONValue {
        let key = ObjectKey(namespace: namespace, name: name)
        return try state.withLock { (s: inout State) throws(Status) -> JSONValue in
            let current = s.objects[type.groupResource]?[key]
            let next = s.resourceVersion + 1
            guard let updated = try change(current, next) else {
                guard var deleted = current else { throw Status.notFound(type.groupResource, name: name) }
                deleted[path: "metadata", "resourceVersion"] = .string(String(next))
                if !dryRun { record(.deleted, type, key, deleted, in: &s) }
                return deleted
            }
            if let current, Self.sameIgnoringResourceVersion(current, updated) { return current }
            var stored = updated
            stored[path: "metadata", "resourceVersion"] = .string(String(next))
            if !dryRun { record(current == nil ? .added : .modified, type, key, stored, in: &s) }
            return stored
        }
    }

    /// An update that changes nothing is not written and does not move the resourceVersion, as
    /// in kube-apiserver.
    private static func sameIgnoringResourceVersion(_ a: JSONValue, _ b: JSONValue) -> Bool {
        var a = a, b = b
        a[path: "metadata", "resourceVersion"] = nil
        b[path: "metadata", "resourceVersion"] = nil
        return a == b
    }

    /// Deletes every object of `type` that matches `filter`, in order, returning them.
    public func deleteAll(_ type: ResourceType, filter: ObjectFilter, dryRun: Bool = false) -> [JSONValue] {
        state.withLock { s in
            let objects = s.objects[type.groupResource] ?? [:]
            var deleted: [JSONValue] = []
            for key in objects.keys.sorted() {
                guard var object = objects[key], filter.matches(object) else { continue }
                object[path: "metadata", "resourceVersion"] = .string(String(s.resourceVersion + 1))
                if !dryRun { record(.deleted, type, key, object, in: &s) }
                deleted.append(object)
            }
            return deleted
        }
    }

    private func record(_ eventType: WatchEvent.EventType, _ type: ResourceType, _ key: ObjectKey, _ object: JSONValue,
                        in s: inout State) {
        s.resourceVersion += 1
        if eventType == .deleted {
            s.objects[type.groupResource]?[key] = nil
        } else {
            s.objects[type.groupResource, default: [:]][key] = object
        }
        let event = WatchEvent(type: eventType, resourceVersion: s.resourceVersion, resource: type.groupResource,
                               namespace: key.namespace, object: object)
        s.history.append(event)
        if s.history.count > historyLimit { s.history.removeFirst(s.history.count - historyLimit) }
        for watcher in s.watchers.values where watcher.resource == type.groupResource && watcher.filter.matches(object) {
            watcher.sink(event)
        }
    }

    /// Starts a watch. With no `resourceVersion` (or `0`) the sink first gets an ADDED event for
    /// every matching object; with one, it gets every later change still in the history.
    /// - Throws: a 410 Expired Status when `resourceVersion` is older than the history.
    public func watch(_ type: ResourceType, filter: ObjectFilter, from resourceVersion: Int64?,
                      sink: @escaping WatchSink) throws(Status) -> WatchRegistration {
        try state.withLock { (s: inout State) throws(Status) -> WatchRegistration in
            if let from = resourceVersion, from > 0 {
                let oldest = s.history.first?.resourceVersion ?? s.resourceVersion + 1
                if from < oldest - 1, from < s.resourceVersion {
                    throw Status.expired("too old resource version: \(from) (\(oldest - 1))")
                }
                for event in s.history where event.resourceVersion > from && event.resource == type.groupResource
                    && filter.matches(event.object) {
                    sink(event)
                }
            } else {
                let objects = s.objects[type.groupResource] ?? [:]
                for key in objects.keys.sorted() {
                    guard let object = objects[key], filter.matches(object) else { continue }
                    sink(WatchEvent(type: .added, resourceVersion: s.resourceVersion, resource: type.groupResource,
                                    namespace: key.namespace, object: object))
                }
            }
            let id = s.nextWatcherID
            s.nextWatcherID += 1
            s.watchers[id] = Watcher(resource: type.groupResource, filter: filter, sink: sink)
            return WatchRegistration(id: id, store: self)
        }
    }

    func cancelWatch(_ id: UInt64) {
        _ = state.withLock { $0.watchers.removeValue(forKey: id) }
    }

    public var watcherCount: Int { state.withLock { $0.watchers.count } }
}

/// A running watch; ``cancel()`` stops its events. Cancelling twice is harmless.
public struct WatchRegistration: Sendable {
    let id: UInt64
    let store: ObjectStore

    public func cancel() { store.cancelWatch(id) }
}
