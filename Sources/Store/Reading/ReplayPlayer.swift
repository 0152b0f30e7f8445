import Kube

/// Replays a recorded run, session, request or guard event: each request and its response in order,
/// exec and attach streams played back in real time (or `speed` times faster) with stdout and
/// stderr as written, watch events and log lines as they came, and the exit code at the end.
public struct ReplayPlayer: Sendable {
    public var reader: StoreReader
    public var options: ReplayOptions
    /// Waits between stream events; `Task.sleep` unless a test replaces it.
    public var sleep: @Sendable (Duration) async -> Void

    public init(reader: StoreReader, options: ReplayOptions,
                sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }) {
        self.reader = reader
        self.options = options
        self.sleep = sleep
    }

    /// Plays `reference`. Returns `nil` when it names nothing in the store.
    public func play(_ reference: RecordReference, to output: some ReplayOutput,
                     asciicast: inout AsciicastRecording?) async throws -> ReplayResult? {
        var result = ReplayResult()
        switch reference {
        case .guardEvent(let seq):
            guard let event = try reader.guardEvent(seq: seq) else { return nil }
            tell(output, "== guard event \(event.reference) at \(ReadingFormat.time(event.at)): \(event.summary) (\(event.caller.shortText))"
                + (event.note.map { ": \($0)" } ?? ""))
        case .connection(let id):
            guard let timeline = try reader.timeline(connection: id, bodies: true) else { return nil }
            tell(output, Self.sessionHeader(timeline.connection))
            for request in timeline.requests {
                try await play(request, to: output, asciicast: &asciicast, result: &result)
            }
            if let closedAt = timeline.connection.closedAt, !timeline.connection.isRefused {
                tell(output, "== session \(timeline.connection.reference) closed at \(ReadingFormat.time(closedAt))")
            }
        case .run(let id):
            guard let timeline = try reader.runTimeline(id: id, bodies: true) else { return nil }
            tell(output, "== run \(timeline.run.reference): \(timeline.run.callerText), \(timeline.run.username), started "
                + ReadingFormat.time(timeline.run.startedAt))
            for request in timeline.requests {
                try await play(request, to: output, asciicast: &asciicast, result: &result)
            }
        case .request(let id):
            guard let request = try reader.request(id: id, bodies: true) else { return nil }
            if let connection = try reader.connection(id: request.connectionID) { tell(output, Self.sessionHeader(connection)) }
            try await play(request, to: output, asciicast: &asciicast, result: &result)
        }
        return result
    }

    static func sessionHeader(_ c: ConnectionRecord) -> String {
        let target = [c.cluster, c.originalDestination.map { "at \($0)" }].compactMap { $0 }.joined(separator: " ")
        if c.isRefused {
            return "== session \(c.reference): connection from \(c.caller.shortText) refused at \(ReadingFormat.time(c.openedAt))"
                + (c.reason.map { ": \($0)" } ?? "")
        }
        return "== session \(c.reference): \(c.caller.shortText) -> \(target.isEmpty ? "unknown destination" : target), opened \(ReadingFormat.time(c.openedAt))"
    }

    private func tell(_ output: some ReplayOutput, _ line: String) {
        if options.narrate { output.narrate(line) }
    }

    private func play(_ request: RecordedRequest, to output: some ReplayOutput, asciicast: inout AsciicastRecording?,
                      result: inout ReplayResult) async throws {
        result.requests += 1
        tell(output, "-> \(request.reference) \(ReadingFormat.time(request.receivedAt)) \(request.identity?.username ?? "(no identity)"): \(request.intent)")
        tell(output, "   \(request.method) \(request.uri)")
        if options.bodies {
            for line in TimelineText.bodyLines("request body", request.body, truncated: request.bodyTruncated) { tell(output, "   " + line) }
        } else if request.isResourceRequest, ["create", "update", "patch"].contains(request.verb),
                  let summary = ResponseText.bodySummary(request.body, truncated: request.bodyTruncated) {
            tell(output, "   body: \(summary)")
        }
        tell(output, responseLine(request))
        let events = request.stream == nil ? [] : try reader.streamEvents(request: request.id)
        if request.isTerminalSession, !events.isEmpty {
            try await playTerminal(request, events, to: output, asciicast: &asciicast, result: &result)
        } else if !events.isEmpty {
            tellStream(request, events, to: output)
        }
        if options.bodies, let response = request.response {
            for line in TimelineText.bodyLines("response body", response.body, truncated: response.bodyTruncated) { tell(output, "   " + line) }
        }
    }

    func responseLine(_ r: RecordedRequest) -> String {
        guard let response = r.response else { return "<- no response recorded" }
        var line = "<- \(response.statusCode)"
        if let latency = r.latency { line += " after \(ReadingFormat.duration(latency))" }
        switch r.outcome {
        case .denied: line += ", denied by policy" + (TimelineText.decisionText(r).map { " (\($0))" } ?? "")
        case .rejected: line += ", rejected by the gateway: \(response.reason ?? "no reason recorded")"
        default: break
        }
        if let status = ResponseText.status(response), status.status != Status.success {
            line += ": " + ResponseText.errorLine(status)
        } else if r.stream == nil, !r.isLongRunning, let summary = ResponseText.bodySummary(response.body, truncated: response.bodyTruncated) {
            line += ": " + summary
        } else if let stream = r.stream, !r.isTerminalSession {
            line += "; " + TimelineText.streamText(stream)
        }
        return line
    }

    /// Watch events, log lines and other streams, told as they came (without delays).
    private func tellStream(_ r: RecordedRequest, _ events: [StreamEventRecord], to output: some ReplayOutput) {
        let start = r.response?.startedAt ?? events[0].at
        for event in events {
            let offset = "+" + ReadingFormat.duration(event.at - start)
            switch event.channel {
            case "watch": tell(output, "   \(offset) \(ResponseText.watchEvent(event.data))")
            case "log":
                var line = event.data
                if line.last == UInt8(ascii: "\n") { line.removeLast() }
                tell(output, "   | " + String(decoding: line, as: UTF8.self))
            case "close", "raw": continue  // told in aggregate on the response line
            default: tell(output, "   \(offset) \(event.direction.arrow) \(event.channel) \(ReadingFormat.quoted(event.data))")
            }
        }
    }

    /// An exec or attach, played to the terminal at the chosen speed.
    private func playTerminal(_ r: RecordedRequest, _ events: [StreamEventRecord], to output: some ReplayOutput,
                              asciicast: inout AsciicastRecording?, result: inout ReplayResult) async throws {
        result.terminalSessions += 1
        let start = min(r.response?.startedAt ?? events[0].at, events[0].at)
        asciicast?.beginStream(at: start, title: r.intent)
        var previous = start
        var exitStatus: Status?
        for event in events {
            asciicast?.add(event)
            switch event.channel {
            case "stdout", "stderr":
                if let pause = options.pause(event.at - previous) { await sleep(pause) }
                previous = max(previous, event.at)
                output.write(event.data, to: event.channel == "stdout" ? .stdout : .stderr)
            case "error":
                exitStatus = ErrorChannel.status(event.data) ?? exitStatus
            default:
                continue
            }
        }
        let code = exitStatus.flatMap(ExecResult.exitCode(from:))
        result.exitCode = code
        if let code {
            tell(output, "-- exit code \(code)")
        } else if let exitStatus {
            tell(output, "-- the command failed: \(exitStatus.message ?? exitStatus.reason ?? "unknown error")")
        } else {
            tell(output, "-- no exit status recorded (the stream ended without one)")
        }
    }
}
