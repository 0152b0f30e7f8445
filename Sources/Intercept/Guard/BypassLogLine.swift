import Logging

/// The per-packet log line of ``BypassReporter``, and its structured metadata.
enum BypassLogLine {
    /// `dropped bypass attempt: udp 198.18.0.1:40000 -> 198.18.0.2:6443 from uid 64991 gid 64991 out pv1a2`
    static func text(_ packet: DroppedPacket, process: CallerProcess?) -> String {
        var parts = ["dropped bypass attempt:", packet.flow?.description ?? "unparseable packet"]
        if let uid = packet.uid { parts.append("from uid \(uid)") }
        if let gid = packet.gid { parts.append("gid \(gid)") }
        if packet.uid == nil, let source = packet.flow?.source { parts.append("from \(source) (no local socket owner)") }
        if let process {
            parts.append("pid \(process.pid)")
            if let executable = process.executable { parts.append(executable) }
        }
        if let name = packet.inInterface { parts.append("in \(name)") }
        if let name = packet.outInterface { parts.append("out \(name)") }
        return parts.joined(separator: " ")
    }

    static func metadata(_ packet: DroppedPacket, process: CallerProcess?) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["time": "\(packet.time.rfc3339Micro)"]
        if let flow = packet.flow {
            metadata["protocol"] = "\(flow.transport)"
            metadata["source"] = "\(flow.source)"
            metadata["destination"] = "\(flow.destination)"
            if let port = flow.sourcePort { metadata["source_port"] = "\(port)" }
            if let port = flow.destinationPort { metadata["destination_port"] = "\(port)" }
        }
        if let uid = packet.uid { metadata["uid"] = "\(uid)" }
        if let gid = packet.gid { metadata["gid"] = "\(gid)" }
        if let name = packet.inInterface { metadata["in_interface"] = "\(name)" }
        if let name = packet.outInterface { metadata["out_interface"] = "\(name)" }
        if let process { metadata["pid"] = "\(process.pid)" }
        return metadata
    }
}
