import Kube

extension InterceptEvent {
    /// One JSON object describing the event, for logs and for the JSON-lines recorder:
    /// `{"event":"bypass_attempt","time":"…","protocol":"udp","source":"…",…}`.
    public func jsonBytes() -> [UInt8] {
        var w = GoJSONObjectWriter()
        switch self {
        case .bypassAttempt(let a):
            w.string("event", "bypass_attempt")
            w.string("time", a.time.rfc3339Micro)
            Self.writeFlow(a.flow, into: &w)
            Self.writeCaller(a.caller, into: &w)
            w.stringOmitEmpty("inInterface", a.inInterface)
            w.stringOmitEmpty("outInterface", a.outInterface)
            w.stringOmitEmpty("note", a.note)
        case .refusedConnection(let r):
            w.string("event", "refused_connection")
            w.string("time", r.time.rfc3339Micro)
            w.string("peer", r.peer.withPort(r.peerPort))
            if let destination = r.originalDestination {
                w.string("originalDestination", r.originalPort.map { destination.withPort($0) } ?? destination.description)
            }
            Self.writeCaller(r.caller, into: &w)
            w.string("reason", r.reason)
            w.stringOmitEmpty("gateway", r.peerName)
        case .tamper(let t):
            w.string("event", "tamper")
            w.string("time", t.time.rfc3339Micro)
            w.stringArray("drift", t.drift)
            w.bool("restored", t.restored)
            w.stringOmitEmpty("error", t.error)
        }
        return w.finish()
    }

    private static func writeFlow(_ flow: Flow, into w: inout GoJSONObjectWriter) {
        w.string("protocol", flow.transport.description)
        w.string("source", flow.source.description)
        if let port = flow.sourcePort { w.int("sourcePort", Int64(port)) }
        w.string("destination", flow.destination.description)
        if let port = flow.destinationPort { w.int("destinationPort", Int64(port)) }
    }

    private static func writeCaller(_ caller: Caller, into w: inout GoJSONObjectWriter) {
        if let uid = caller.uid { w.int("uid", Int64(uid)) }
        if let gid = caller.gid { w.int("gid", Int64(gid)) }
        if let address = caller.sourceAddress { w.string("callerAddress", address.description) }
        w.stringOmitEmpty("callerInterface", caller.interface)
        if let process = caller.process {
            w.int("pid", Int64(process.pid))
            w.stringOmitEmpty("executable", process.executable)
            if !process.commandLine.isEmpty { w.stringArray("commandLine", process.commandLine) }
            w.stringOmitEmpty("cgroup", process.cgroup)
            w.stringOmitEmpty("containerID", process.containerID)
        }
    }
}
