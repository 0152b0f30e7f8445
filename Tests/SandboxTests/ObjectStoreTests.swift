import Kube
import Synchronization
import Testing

@testable import Sandbox

@Suite struct ObjectStoreTests {
    let configmaps = ResourceCatalog.find(group: "", version: "v1", resource: "configmaps")!

    func configMap(_ name: String, namespace: String = "demo", data: JSONValue = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": .string(namespace)], "data": data]
    }

    func put(_ store: ObjectStore, _ object: JSONValue) throws {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        try store.mutate(configmaps, namespace: "demo", name: name) { _, _ in object }
    }

    @Test func everyWriteTakesTheNextResourceVersion() throws {
        let store = ObjectStore()
        let start = store.currentResourceVersion
        try put(store, configMap("a"))
        try put(store, configMap("b"))
        #expect(store.currentResourceVersion == start + 2)
        #expect(store.get(configmaps, namespace: "demo", name: "b")?[path: "metadata", "resourceVersion"] == .string(String(start + 2)))
    }

    @Test func anUpdateThatChangesNothingKeepsTheResourceVersion() throws {
        let store = ObjectStore()
        try put(store, configMap("a", data: ["k": "v"]))
        let before = store.currentResourceVersion
        try put(store, configMap("a", data: ["k": "v"]))
        #expect(store.currentResourceVersion == before)
        try put(store, configMap("a", data: ["k": "w"]))
        #expect(store.currentResourceVersion == before + 1)
    }

    @Test func listFiltersByNamespaceAndLabelsAndSortsByName() throws {
        let store = ObjectStore()
        var labelled = configMap("b")
        labelled[path: "metadata", "labels"] = ["app": "web"]
        try put(store, labelled)
        try put(store, configMap("a"))
        let all = store.list(configmaps, filter: ObjectFilter(namespace: "demo")).items
        #expect(all.compactMap { $0[path: "metadata", "name"]?.stringValue } == ["a", "b"])
        let web = store.list(configmaps, filter: ObjectFilter(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=web"))).items
        #expect(web.compactMap { $0[path: "metadata", "name"]?.stringValue } == ["b"])
        #expect(store.list(configmaps, filter: ObjectFilter(namespace: "other")).items.isEmpty)
    }

    @Test func aWatchFromAResourceVersionGetsLaterChangesInOrder() throws {
        let store = ObjectStore()
        try put(store, configMap("before"))
        let from = store.currentResourceVersion
        let seen = Mutex<[String]>([])
        let registration = try store.watch(configmaps, filter: ObjectFilter(namespace: "demo"), from: from) { event in
            seen.withLock { $0.append("\(event.type.rawValue) \(event.object[path: "metadata", "name"]?.stringValue ?? "")") }
        }
        try put(store, configMap("x"))
        try put(store, configMap("x", data: ["k": "v"]))
        try store.mutate(configmaps, namespace: "demo", name: "x") { _, _ in nil }
        registration.cancel()
        try put(store, configMap("after-cancel"))
        #expect(seen.withLock { $0 } == ["ADDED x", "MODIFIED x", "DELETED x"])
    }

    @Test func aWatchWithoutResourceVersionStartsWithTheCurrentObjects() throws {
        let store = ObjectStore()
        try put(store, configMap("a"))
        let seen = Mutex<[String]>([])
        let registration = try store.watch(configmaps, filter: ObjectFilter(namespace: ""), from: nil) { event in
            seen.withLock { $0.append(event.type.rawValue) }
        }
        defer { registration.cancel() }
        #expect(seen.withLock { $0 } == ["ADDED"])
    }

    @Test func aWatchOlderThanTheHistoryIsExpired() throws {
        let store = ObjectStore(historyLimit: 2)
        let start = store.currentResourceVersion
        for name in ["a", "b", "c", "d"] { try put(store, configMap(name)) }
        #expect(throws: Status.self) {
            _ = try store.watch(configmaps, filter: ObjectFilter(namespace: ""), from: start) { _ in }
        }
        do {
            _ = try store.watch(configmaps, filter: ObjectFilter(namespace: ""), from: start) { _ in }
        } catch {
            #expect(error.code == 410)
            #expect(error.reason == "Expired")
        }
    }

    @Test func deleteAllRemovesOnlyMatchingObjects() throws {
        let store = ObjectStore()
        try put(store, configMap("a"))
        try store.mutate(configmaps, namespace: "other", name: "b") { _, _ in configMap("b", namespace: "other") }
        let deleted = store.deleteAll(configmaps, filter: ObjectFilter(namespace: "demo"))
        #expect(deleted.count == 1)
        #expect(store.get(configmaps, namespace: "demo", name: "a") == nil)
        #expect(store.get(configmaps, namespace: "other", name: "b") != nil)
    }

    @Test func dryRunChangesNothing() throws {
        let store = ObjectStore()
        let before = store.currentResourceVersion
        try store.mutate(configmaps, namespace: "demo", name: "a", dryRun: true) { _, _ in configMap("a") }
        #expect(store.get(configmaps, namespace: "demo", name: "a") == nil)
        #expect(store.currentResourceVersion == before)
    }
}
