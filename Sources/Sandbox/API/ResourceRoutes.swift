import Kube

/// Resource requests: finds the type, checks scope, and runs the verb.
struct ResourceRoutes {
    let api: SandboxAPI
    var store: ObjectStore { api.store }
    var writes: ObjectWrites { ObjectWrites(api: api) }

    func handle(_ request: APIRequest) -> APIResponse {
        do {
            return try route(request)
        } catch {
            return .status(error)
        }
    }

    private func route(_ request: APIRequest) throws(Status) -> APIResponse {
        let info = request.info
        guard let type = ResourceCatalog.find(group: info.apiGroup, version: info.apiVersion, resource: info.resource) else {
            throw Status.notFoundPath()
        }
        let namespace = type.namespaced ? info.namespace : ""
        if !type.namespaced, type.resource != "namespaces", !info.namespace.isEmpty { throw Status.notFoundPath() }
        if type.namespaced, namespace.isEmpty, !["list", "watch"].contains(info.verb) { throw Status.notFoundPath() }
        let name = info.name
        if request.upgrade.contains("spdy"), !["exec", "attach", "portforward"].contains(info.subresource) {
            throw Status.badRequest("portcullis-sandbox serves SPDY/3.1 upgrades only for pods/exec and pods/attach")
        }
        switch (info.verb, info.subresource) {
        case ("list", ""): return try list(type, request)
        case ("watch", ""): return try watch(type, request)
        case ("get", ""), ("get", "status"):
            return try object(get(type, namespace: namespace, name: name), type: type, request: request)
        case ("get", "log"): return .logs(try logPlan(namespace: namespace, pod: name, query: request.query))
        case (_, "exec"), (_, "attach"):
            _ = try ExecTarget.validate(store: store, namespace: namespace, pod: name, query: request.query)
            throw upgradeRequired(request)
        case (_, "portforward"):
            throw Status.badRequest("portcullis-sandbox does not support port-forward (pods/portforward), over SPDY/3.1 or WebSocket")
        case ("create", ""):
            let body = try BodyDecoding.decodeObject(request.body, contentType: request.contentType)
            return try object(writes.create(type: type, namespace: namespace, object: body, dryRun: request.isDryRun),
                              type: type, request: request, code: 201)
        case ("update", ""), ("update", "status"), ("update", "finalize"):
            let body = try BodyDecoding.decodeObject(request.body, contentType: request.contentType)
            let sub = info.subresource == "finalize" ? "" : info.subresource
            return try object(writes.update(type: type, namespace: namespace, name: name, subresource: sub, object: body,
                                            dryRun: request.isDryRun), type: type, request: request)
        case ("patch", ""), ("patch", "status"):
            let result = try writes.patch(type: type, namespace: namespace, name: name, subresource: info.subresource,
                                          patch: request.body, contentType: request.contentType, dryRun: request.isDryRun)
            return try object(result.object, type: type, request: request, code: result.created ? 201 : 200)
        case ("delete", ""):
            return try object(writes.delete(type: type, namespace: namespace, name: name, dryRun: request.isDryRun),
                              type: type, request: request)
        case ("deletecollection", ""):
            let deleted = store.deleteAll(type, filter: try filter(namespace: namespace, request), dryRun: request.isDryRun)
            return .json(code: 200, body: listBody(type, items: deleted, resourceVersion: store.currentResourceVersion))
        default:
            throw Status.methodNotSupported(type.groupResource, action: info.verb)
        }
    }

    private func get(_ type: ResourceType, namespace: String, name: String) throws(Status) -> JSONValue {
        guard let object = store.get(type, namespace: namespace, name: name) else {
            throw Status.notFound(type.groupResource, name: name)
        }
        return object
    }

    private func object(_ object: JSONValue, type: ResourceType, request: APIRequest, code: Int = 200) throws(Status) -> APIResponse {
        if request.wantsTable, request.info.verb == "get" {
            let rv = object[path: "metadata", "resourceVersion"]?.stringValue ?? ""
            return .json(code: code, body: TableRenderer.table(type, objects: [object], resourceVersion: rv, now: SandboxClock.now()))
        }
        return .json(code: code, body: object)
    }

    private func filter(namespace: String, _ request: APIRequest) throws(Status) -> ObjectFilter {
        var filter = ObjectFilter(namespace: namespace)
        if let raw = request.query["fieldSelector"], !raw.isEmpty {
            do { filter.fieldSelector = try FieldSelector(parsing: raw) } catch { throw Status.badRequest(error.message) }
            for term in filter.fieldSelector?.terms ?? [] where !ObjectFilter.selectableFields.contains(term.field) {
                throw Status.badRequest("field label not supported: \(term.field)")
            }
        }
        if let raw = request.query["labelSelector"], !raw.isEmpty {
            do { filter.labelSelector = try LabelSelector(parsing: raw) } catch { throw Status.badRequest(error.message) }
        }
        return filter
    }

    private func list(_ type: ResourceType, _ request: APIRequest) throws(Status) -> APIResponse {
        let (all, rv) = store.list(type, filter: try filter(namespace: request.info.namespace, request))
        let page = try Pagination(query: request.query, total: all.count, resourceVersion: rv)
        let items = Array(all[page.range])
        if request.wantsTable {
            return .json(code: 200, body: TableRenderer.table(type, objects: items, resourceVersion: String(page.resourceVersion),
                                                              now: SandboxClock.now(), continueToken: page.continueToken))
        }
        return .json(code: 200, body: listBody(type, items: items, resourceVersion: page.resourceVersion, continueToken: page.continueToken))
    }

    private func listBody(_ type: ResourceType, items: [JSONValue], resourceVersion: Int64, continueToken: String? = nil) -> JSONValue {
        var metadata: JSONValue = ["resourceVersion": .string(String(resourceVersion))]
        if let continueToken { metadata["continue"] = .string(continueToken) }
        return ["kind": .string(type.listKind), "apiVersion": .string(type.groupVersion), "metadata": metadata, "items": .array(items)]
    }

    private func watch(_ type: ResourceType, _ request: APIRequest) throws(Status) -> APIResponse {
        var from: Int64?
        if let raw = request.query["resourceVersion"], !raw.isEmpty {
            guard let rv = Int64(raw) else { throw Status.badRequest("invalid resource version: \(raw)") }
            from = rv
        }
        let timeout = request.query["timeoutSeconds"].flatMap { Int64($0) }
        return .watch(WatchPlan(type: type, filter: try filter(namespace: request.info.namespace, request), resourceVersion: from,
                                asTable: request.wantsTable, timeoutSeconds: timeout))
    }

    private func logPlan(namespace: String, pod: String, query: QueryParameters) throws(Status) -> LogPlan {
        let target = try ExecTarget.validate(store: store, namespace: namespace, pod: pod, query: query)
        let created = target.pod[path: "metadata", "creationTimestamp"]?.stringValue.flatMap(KubeTime.init(rfc3339:)) ?? SandboxClock.now()
        var tail: Int?
        if let raw = query["tailLines"] {
            guard let n = Int(raw), n >= 0 else { throw Status.badRequest("invalid tailLines: \(raw)") }
            tail = n
        }
        return LogPlan(namespace: namespace, pod: pod, container: target.container,
                       podUID: target.pod[path: "metadata", "uid"]?.stringValue ?? "", createdAt: created,
                       follow: ListOptionsDecoding.boolValue(query["follow"]), tailLines: tail,
                       timestamps: ListOptionsDecoding.boolValue(query["timestamps"]))
    }

    private func upgradeRequired(_ request: APIRequest) -> Status {
        if request.upgrade.contains("spdy") {
            return Status.badRequest("unsupported X-Stream-Protocol-Version for SPDY/3.1: offer v4.channel.k8s.io or v5.channel.k8s.io")
        }
        if request.upgrade.contains("websocket") {
            return Status.badRequest("unsupported WebSocket subprotocol: offer v5.channel.k8s.io or v4.channel.k8s.io")
        }
        return Status.badRequest("Upgrade request required")
    }
}
