import Kube
import Proxy

/// One response as it flows: its head, its body up to the limit (gzip decoded), or, for a watch,
/// followed logs or an upgraded connection, the stream rows it yields as bytes arrive.
/// Used under its request's lock only.
final class ResponseRecording {
    enum Mode {
        /// An ordinary body, kept up to the limit for the responses row.
        case body
        case watch(JSONEventSplitter)
        case protobufWatch(LengthPrefixedSplitter)
        case log(LineSplitter)
        case upgrade(UpgradeStreamDecoder)
    }

    let startedAt: KubeTime?
    let status: Int
    /// Redacted.
    let headers: [(name: String, value: String)]
    let contentType: String?
    private var mode: Mode
    private var gzip: GzipInflater?
    private(set) var body: [UInt8] = []
    private(set) var truncated = false
    /// Body bytes as relayed (before decoding), or the upgraded bytes sent to the client.
    private(set) var relayedBytes = 0

    init(startedAt: KubeTime?, status: Int, headers: [(name: String, value: String)], request: RequestRecording,
         context: RecordingContext) {
        self.startedAt = startedAt
        self.status = status
        self.headers = context.headers.redact(headers)
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        contentType = header("content-type")
        let limit = context.maxStreamMessageBytes
        if status == 101 {
            let proto = UpgradeProtocol.detect(response: headers, request: request.headers)
            mode = .upgrade(UpgradeStreamDecoder(protocol: proto, isPortForward: request.info.subresource == "portforward",
                                                 maxMessageBytes: limit))
        } else if (200..<300).contains(status), request.info.verb == "watch" {
            mode = (contentType ?? "").lowercased().contains("protobuf")
                ? .protobufWatch(LengthPrefixedSplitter(maxFrameBytes: limit)) : .watch(JSONEventSplitter(maxEventBytes: limit))
        } else if (200..<300).contains(status), request.followsLogs {
            mode = .log(LineSplitter(maxLineBytes: limit))
        } else {
            mode = .body
        }
        if status != 101, header("content-encoding")?.lowercased().trimmingCharacters(in: [" "]) == "gzip" {
            gzip = GzipInflater()
        }
    }

    var isStream: Bool {
        if case .body = mode { return false }
        return true
    }

    /// Takes body bytes; returns the stream rows they complete.
    func body(_ bytes: [UInt8], time: KubeTime, request: RequestRecording, context: RecordingContext) -> [StoreRow] {
        relayedBytes += bytes.count
        if case .body = mode, truncated { return [] }
        var rows: [StoreRow] = []
        for decoded in decode(bytes, context: context) {
            switch mode {
            case .body:
                let room = max(0, context.bodyLimit - body.count)
                body += decoded.prefix(room)
                if decoded.count > room { truncated = true }
            case .watch(var splitter):
                let pieces = splitter.feed(decoded)
                mode = .watch(splitter)
                rows += pieces.map { watchRow($0, time: time, request: request, context: context) }
            case .protobufWatch(var splitter):
                let frames = splitter.feed(decoded)
                mode = .protobufWatch(splitter)
                rows += frames.map { protobufRow($0, time: time, request: request, context: context) }
            case .log(var splitter):
                let lines = splitter.feed(decoded)
                mode = .log(splitter)
                rows += lines.map { RecordRows.streamEvent(request: request.id, time: time, direction: .upstreamToClient, channel: "log", data: $0) }
            case .upgrade:
                break
            }
        }
        return rows
    }

    /// Takes bytes of the upgraded connection; returns their channel rows.
    func stream(_ bytes: [UInt8], direction: StreamDirection, time: KubeTime, request: RequestRecording) -> [StoreRow] {
        guard case .upgrade(let decoder) = mode else { return [] }
        if direction == .upstreamToClient { relayedBytes += bytes.count }
        return decoder.decode(bytes, direction: direction).map {
            RecordRows.streamEvent(request: request.id, time: time, direction: direction, channel: $0.channel, data: $0.data)
        }
    }

    /// The rows left when the response ends: unfinished stream pieces, then the responses row.
    func finish(time: KubeTime, bytes: Int?, request: RequestRecording, context: RecordingContext) -> [StoreRow] {
        var rows: [StoreRow] = []
        switch mode {
        case .body:
            break
        case .watch(var splitter):
            rows += splitter.finish().map { watchRow($0, time: time, request: request, context: context) }
        case .protobufWatch(var splitter):
            rows += splitter.finish().map { protobufRow($0, time: time, request: request, context: context) }
        case .log(var splitter):
            rows += splitter.finish().map {
                RecordRows.streamEvent(request: request.id, time: time, direction: .upstreamToClient, channel: "log", data: $0)
            }
        case .upgrade(let decoder):
            rows += decoder.finish().map {
                RecordRows.streamEvent(request: request.id, time: time, direction: $0.0, channel: $0.1.channel, data: $0.1.data)
            }
        }
        var storedBody: [UInt8]?
        // The proxy hands over only the first part of a long body: what it relayed says whether
        // this is all of it.
        var cut = truncated || (bytes ?? relayedBytes) > relayedBytes
        if !isStream {
            let redacted = context.bodies.redact(body, contentType: contentType, aboutSecrets: request.aboutSecrets, wasCut: cut)
            storedBody = redacted.body
            cut = cut || redacted.cut
        }
        rows.append(RecordRows.response(request: request.id, startedAt: startedAt, completedAt: time, status: status, headers: headers,
                                        body: storedBody, bodyTruncated: cut, bytes: bytes ?? relayedBytes, rejected: false,
                                        reason: nil))
        body = []
        return rows
    }

    private func decode(_ bytes: [UInt8], context: RecordingContext) -> [[UInt8]] {
        guard let gzip else { return [bytes] }
        var out: [[UInt8]] = []
        var kept = body.count
        let isBody = !isStream
        do {
            try gzip.inflate(bytes) { chunk in
                out.append(chunk)
                kept += chunk.count
                return !isBody || kept <= context.bodyLimit
            }
        } catch {
            // What could be decoded is kept; the rest is lost to the record, and says so.
            truncated = true
        }
        return out
    }

    private func watchRow(_ piece: JSONEventSplitter.Piece, time: KubeTime, request: RequestRecording,
                          context: RecordingContext) -> StoreRow {
        let data: [UInt8]
        switch piece {
        case .event(let bytes):
            data = context.bodies.redact(bytes, contentType: "application/json", aboutSecrets: request.aboutSecrets).body
        case .cut(let bytes):
            data = context.bodies.redact(bytes, contentType: "application/json", aboutSecrets: request.aboutSecrets, wasCut: true).body
        }
        return RecordRows.streamEvent(request: request.id, time: time, direction: .upstreamToClient, channel: "watch", data: data)
    }

    private func protobufRow(_ frame: [UInt8], time: KubeTime, request: RequestRecording, context: RecordingContext) -> StoreRow {
        let data = context.bodies.redactProtobufFrame(frame, aboutSecrets: request.aboutSecrets)
        return RecordRows.streamEvent(request: request.id, time: time, direction: .upstreamToClient, channel: "watch", data: data)
    }
}
