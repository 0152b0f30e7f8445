import Kube
import Proxy
import Store

/// What `POST /v1/tail` streams: the gateway's own record, read with ``StoreTail`` (committed rows
/// only; the writer is never held back).
struct TailStreamSource: AdminStreamSource {
    let reader: StoreReader
    /// How long a poll that found nothing waits before the next.
    var pollInterval = Duration.milliseconds(100)

    func open(_ request: JSONValue) async throws -> any AdminStream {
        let filter: SessionFilter
        do {
            filter = try SessionFilter(json: request["filter"] ?? .object([:]))
        } catch {
            throw AdminStreamError("the tail's filter: \(error.description)")
        }
        let format = request["format"]?.stringValue ?? "text"
        guard format == "text" || format == "json" else { throw AdminStreamError("format must be text or json, not \(format)") }
        let tail = try StoreTail(reader: reader, filter: filter, since: filter.since)
        return TailStream(tail: tail, json: format == "json", pollInterval: pollInterval)
    }
}

/// One client's tail.
struct TailStream: AdminStream {
    let tail: StoreTail
    let json: Bool
    let pollInterval: Duration

    func next() async throws -> [String] {
        let entries = try tail.next()
        if entries.isEmpty {
            try await Task.sleep(for: pollInterval)
            return []
        }
        return entries.map { json ? TailText.json($0) : TailText.line($0) }
    }
}
