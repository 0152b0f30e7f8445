import Intercept
import Kube
import Proxy

/// The rows each event becomes. Values only: redaction and decoding happen before.
enum RecordRows {
    static func connection(_ event: ConnectionOpened, id: Int64) -> StoreRow {
        var row = StoreRow(.connections, [
            "id": .integer(id), "opened_at": .integer(event.time.microseconds), "peer": .text(event.peer),
            "original_destination": .text(event.originalDestination), "cluster": .text(event.cluster), "outcome": .text("allowed"),
            "gateway": StoreValue(event.gateway),
        ])
        fill(&row, caller: event.caller)
        return row
    }

    static func refusedConnection(_ event: RefusedConnection, id: Int64) -> StoreRow {
        var destination: StoreValue = .null
        if let address = event.originalDestination {
            destination = .text(event.originalPort.map { address.withPort($0) } ?? address.description)
        }
        var row = StoreRow(.connections, [
            "id": .integer(id), "opened_at": .integer(event.time.microseconds), "peer": .text(event.peer.withPort(event.peerPort)),
            "original_destination": destination, "outcome": .text("refused"), "reason": .text(event.reason),
            "gateway": StoreValue(event.peerName),
        ])
        fill(&row, caller: event.caller)
        return row
    }

    private static func fill(_ row: inout StoreRow, caller: Caller) {
        row["uid"] = StoreValue(caller.uid.map(Int64.init))
        row["gid"] = StoreValue(caller.gid.map(Int64.init))
        if let process = caller.process {
            row["pid"] = .integer(Int64(process.pid))
            row["executable"] = StoreValue(process.executable)
            row["command_line"] = .text(jsonArray(process.commandLine))
        }
        // The socket's cgroup (sock_diag, no privileges needed) over the process's (/proc).
        row["cgroup"] = StoreValue(caller.cgroupPath)
        row["container_id"] = StoreValue(caller.container?.id ?? caller.process?.containerID)
        row["cgroup_id"] = StoreValue(caller.cgroup?.id.map { Int64(bitPattern: $0) })
        row["unit"] = StoreValue(caller.cgroupPath.flatMap(CgroupPathNames.unit(in:)))
        row["container_runtime"] = StoreValue(caller.container?.runtime)
        row["pod_uid"] = StoreValue(caller.cgroupPath.flatMap(CgroupPathNames.podUID(in:)))
        row["caller_address"] = StoreValue(caller.sourceAddress?.description)
        row["interface"] = StoreValue(caller.interface)
    }

    static func connectionEnd(id: Int64, time: KubeTime, reason: String? = nil) -> StoreRow {
        StoreRow(.connectionEnds, ["connection_id": .integer(id), "closed_at": .integer(time.microseconds), "reason": StoreValue(reason)])
    }

    static func request(_ record: RequestRecord, id: Int64, connection: Int64, headers: [(name: String, value: String)],
                        body: [UInt8], bodyTruncated: Bool) -> StoreRow {
        let info = record.info
        var row = StoreRow(.requests, [
            "id": .integer(id), "connection_id": .integer(connection), "received_at": .integer(record.time.microseconds),
            "method": .text(record.method), "uri": .text(record.uri), "verb": .text(info.verb), "api_group": .text(info.apiGroup),
            "api_version": .text(info.apiVersion), "resource": .text(info.resource), "subresource": .text(info.subresource),
            "namespace": .text(info.namespace), "name": .text(info.name), "is_resource_request": StoreValue(info.isResourceRequest),
            "intent": .text(record.intent), "audit_id": .text(record.auditID), "user_agent": .text(record.userAgent),
            "headers": .text(jsonPairs(headers)), "body": body.isEmpty ? .null : .blob(body),
            "body_truncated": StoreValue(bodyTruncated), "reported_source": StoreValue(record.reportedSource),
        ])
        if let identity = record.identity {
            row["username"] = .text(identity.username)
            row["groups"] = .text(jsonArray(identity.groups))
            row["extra"] = identity.extra.isEmpty ? .null : .text(jsonObject(identity.extra))
            row["issuer"] = .text(identity.issuer)
            row["subject"] = .text(identity.subject)
        }
        if let decision = record.decision {
            row["decision"] = .text(decision.effect.rawValue)
            row["decision_rule"] = .text(decision.recordedSource)
            row["decision_reason"] = StoreValue(decision.reason)
        }
        return row
    }

    static func run(id: Int64, startedAt: KubeTime, place: RunPlace, identity: VerifiedIdentity, fingerprint: String) -> StoreRow {
        StoreRow(.runs, [
            "id": .integer(id), "started_at": .integer(startedAt.microseconds), "uid": StoreValue(place.uid),
            "cgroup_id": StoreValue(place.cgroupID), "cgroup": StoreValue(place.cgroup), "unit": StoreValue(place.unit),
            "container_runtime": StoreValue(place.containerRuntime), "container_id": StoreValue(place.containerID),
            "pod_uid": StoreValue(place.podUID), "caller_address": StoreValue(place.callerAddress), "username": .text(identity.username),
            "groups": .text(jsonArray(identity.groups)), "issuer": .text(identity.issuer), "subject": .text(identity.subject),
            "token_fingerprint": .text(fingerprint), "gateway": StoreValue(place.gateway),
            "claims": identity.runClaims.isEmpty ? .null : .text(JSONValue.object(identity.runClaims.mapValues(JSONValue.string)).jsonString),
        ])
    }

    static func review(request: Int64, time: KubeTime, verdict: ReviewVerdict) -> StoreRow {
        StoreRow(.reviews, [
            "request_id": .integer(request), "at": .integer(time.microseconds), "outcome": .text(verdict.outcome),
            "decision": StoreValue(verdict.effect?.rawValue), "reviewer_uid": StoreValue(verdict.reviewer?.uid.map(Int64.init)),
            "reason": StoreValue(verdict.reason), "reviewer": StoreValue(verdict.reviewer?.centralRole),
        ])
    }

    static func grant(_ grant: Grant) -> StoreRow {
        StoreRow(.grants, [
            "id": .text(grant.id), "created_at": .integer(grant.createdAt.microseconds), "expires_at": .integer(grant.expiresAt.microseconds),
            "created_by_uid": StoreValue(grant.createdBy.uid.map(Int64.init)), "subject_kind": .text(grant.subject.kind),
            "subject": .text(grant.subject.name), "verbs": .text(jsonArray(grant.verbs)), "api_groups": .text(jsonArray(grant.apiGroups)),
            "resources": .text(jsonArray(grant.resources)), "namespaces": .text(jsonArray(grant.namespaces)),
            "names": .text(jsonArray(grant.names)), "non_resource_urls": .text(jsonArray(grant.nonResourceURLs)),
            "reason": .text(grant.reason), "created_by": StoreValue(grant.createdBy.centralRole), "for_host": StoreValue(grant.host),
        ])
    }

    static func grantRevocation(id: String, time: KubeTime, by principal: Principal, reason: String?) -> StoreRow {
        StoreRow(.grantRevocations, [
            "grant_id": .text(id), "at": .integer(time.microseconds), "revoked_by_uid": StoreValue(principal.uid.map(Int64.init)),
            "reason": StoreValue(reason), "revoked_by": StoreValue(principal.centralRole),
        ])
    }

    static func response(request: Int64, startedAt: KubeTime?, completedAt: KubeTime, status: Int,
                         headers: [(name: String, value: String)], body: [UInt8]?, bodyTruncated: Bool, bytes: Int,
                         rejected: Bool, reason: String?) -> StoreRow {
        StoreRow(.responses, [
            "request_id": .integer(request), "started_at": StoreValue(startedAt?.microseconds),
            "completed_at": .integer(completedAt.microseconds), "status_code": .integer(Int64(status)),
            "headers": .text(jsonPairs(headers)), "body": body.map { $0.isEmpty ? .null : .blob($0) } ?? .null,
            "body_truncated": StoreValue(bodyTruncated), "bytes": .integer(Int64(bytes)), "rejected": StoreValue(rejected),
            "reason": StoreValue(reason),
        ])
    }

    static func streamEvent(request: Int64, time: KubeTime, direction: StreamDirection, channel: String, data: [UInt8]) -> StoreRow {
        StoreRow(.streamEvents, [
            "request_id": .integer(request), "at": .integer(time.microseconds), "direction": .text(direction.rawValue),
            "channel": .text(channel), "data": .blob(data),
        ])
    }

    static func guardEvent(_ attempt: BypassAttempt) -> StoreRow {
        let flow = attempt.flow
        let process = attempt.caller.process
        return StoreRow(.guardEvents, [
            "at": .integer(attempt.time.microseconds), "protocol": .text(flow.transport.description),
            "source": .text(flow.source.description), "source_port": StoreValue(flow.sourcePort.map(Int64.init)),
            "destination": .text(flow.destination.description), "destination_port": StoreValue(flow.destinationPort.map(Int64.init)),
            "uid": StoreValue(attempt.caller.uid.map(Int64.init)), "gid": StoreValue(attempt.caller.gid.map(Int64.init)),
            "pid": StoreValue(process.map { Int64($0.pid) }), "executable": StoreValue(process?.executable),
            "command_line": StoreValue(process.map { jsonArray($0.commandLine) }), "container_id": StoreValue(process?.containerID),
            "in_interface": StoreValue(attempt.inInterface), "out_interface": StoreValue(attempt.outInterface),
            "note": StoreValue(attempt.note),
        ])
    }

    static func tamperEvent(_ event: TamperEvent) -> StoreRow {
        StoreRow(.tamperEvents, [
            "at": .integer(event.time.microseconds), "drift": .text(jsonArray(event.drift)), "restored": StoreValue(event.restored),
            "error": StoreValue(event.error),
        ])
    }

    // MARK: - JSON columns

    static func jsonArray(_ strings: [String]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, s) in strings.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            GoJSON.appendString(s, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `[["name","value"],...]`
    static func jsonPairs(_ pairs: [(name: String, value: String)]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "["))
            GoJSON.appendString(pair.name, to: &out)
            out.append(UInt8(ascii: ","))
            GoJSON.appendString(pair.value, to: &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    static func jsonObject(_ map: [String: [String]]) -> String {
        let value = JSONValue.object(map.mapValues { .array($0.map(JSONValue.string)) })
        return value.jsonString
    }
}
