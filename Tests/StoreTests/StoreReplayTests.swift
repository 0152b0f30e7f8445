import Foundation
import Kube
import Store
import Testing

/// Records the pauses a replay asks for instead of sleeping.
final class PauseLog: @unchecked Sendable {
    private let lock = NSLock()
    private var pauses: [Duration] = []

    var all: [Duration] { lock.withLock { pauses } }

    func sleep(_ d: Duration) async { lock.withLock { pauses.append(d) } }
}

@Suite struct StoreReplayTests {
    func play(_ reference: RecordReference, _ options: ReplayOptions, fixture: ReadingFixture, pauses: PauseLog = PauseLog(),
              asciicast: Bool = false) async throws -> (ReplayCapture, ReplayResult, AsciicastRecording?) {
        let capture = ReplayCapture()
        var cast: AsciicastRecording? = asciicast ? AsciicastRecording() : nil
        let player = ReplayPlayer(reader: try fixture.reader(), options: options, sleep: { await pauses.sleep($0) })
        let result = try #require(try await player.play(reference, to: capture, asciicast: &cast))
        return (capture, result, cast)
    }

    @Test func anExecReplaysItsExactBytesAndExitCodeWithoutDelaysAtSpeedZero() async throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let pauses = PauseLog()
        let (capture, result, _) = try await play(.request(6), ReplayOptions(speed: 0), fixture: f, pauses: pauses)
        #expect(capture.stdout == ReadingFixture.execStdout)
        #expect(capture.stderr == ReadingFixture.execStderr)
        #expect(result.exitCode == 3)
        #expect(result.terminalSessions == 1)
        #expect(pauses.all.isEmpty)
        #expect(capture.narrative == [
            "== session c3: uid 1000 kubectl[4300] -> prod at 198.18.0.2:6443, opened 2026-01-01T12:00:20.000000Z",
            "-> r6 2026-01-01T12:00:20.010000Z alice: exec into pod web-1 in demo: sh -c 'echo hi'",
            "   POST /api/v1/namespaces/demo/pods/web-1/exec?command=sh&command=-c&command=echo+hi&stdin=true&stdout=true&stderr=true",
            "<- 101 after 40.0ms",
            "-- exit code 3",
        ])
    }

    @Test func outputOnlyWritesNothingButTheStreams() async throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let (capture, result, _) = try await play(.connection(3), ReplayOptions(speed: 0, narrate: false), fixture: f)
        #expect(capture.narrative.isEmpty)
        #expect(capture.terminal == ReadingFixture.execStdout)
        #expect(capture.stderr == ReadingFixture.execStderr)
        #expect(result.exitCode == 3)
    }

    @Test func realTimePlaybackWaitsAsRecordedDividedBySpeed() async throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        // Output at 20.2 (stdout), 20.5 (stderr), 20.7, 20.8, 21.0 (stdout); the stream started at 20.05.
        let realTime = PauseLog()
        _ = try await play(.request(6), ReplayOptions(speed: 1), fixture: f, pauses: realTime)
        #expect(realTime.all == [.milliseconds(150), .milliseconds(300), .milliseconds(200), .milliseconds(100), .milliseconds(200)])
        let double = PauseLog()
        _ = try await play(.request(6), ReplayOptions(speed: 2), fixture: f, pauses: double)
        #expect(double.all == [.milliseconds(75), .milliseconds(150), .milliseconds(100), .milliseconds(50), .milliseconds(100)])
        let capped = PauseLog()
        _ = try await play(.request(6), ReplayOptions(speed: 1, idleLimit: 0.15), fixture: f, pauses: capped)
        #expect(capped.all == [.milliseconds(150), .milliseconds(150), .milliseconds(150), .milliseconds(100), .milliseconds(150)])
    }

    @Test func aSessionIsToldRequestByRequest() async throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let (capture, result, _) = try await play(.connection(1), ReplayOptions(speed: 0), fixture: f)
        #expect(result.requests == 3)
        #expect(result.terminalSessions == 0)
        #expect(capture.narrative == [
            "== session c1: uid 1000 kubectl[4242] -> prod at 198.18.0.2:6443, opened 2026-01-01T12:00:00.000000Z",
            "-> r1 2026-01-01T12:00:00.100000Z alice: list pods in demo",
            "   GET /api/v1/namespaces/demo/pods?limit=500",
            "<- 200 after 12.0ms: PodList: 2 items: demo/web-1, demo/web-2",
            "-> r2 2026-01-01T12:00:00.200000Z alice: watch pods in demo",
            "   GET /api/v1/namespaces/demo/pods?watch=true",
            "<- 200 after 10.0ms; stream 2.00s: 3 watch events",
            "   +90.0ms ADDED Pod demo/web-1",
            "   +1.09s MODIFIED Pod demo/web-1",
            "   +2.09s DELETED Pod demo/web-1",
            "-> r3 2026-01-01T12:00:01.000000Z alice: create configmap cfg1 in demo",
            "   POST /api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create",
            "   body: ConfigMap demo/cfg1",
            "<- 201 after 5.0ms: ConfigMap demo/cfg1",
            "== session c1 closed at 2026-01-01T12:00:05.000000Z",
        ])
        #expect(capture.stdout.isEmpty && capture.stderr.isEmpty)
    }

    @Test func refusalsDenialsAndMissingResponsesAreTold() async throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let (c2, _, _) = try await play(.connection(2), ReplayOptions(speed: 0), fixture: f)
        #expect(c2.narrative.contains("<- 401 after 300us, rejected by the gateway: no bearer token in the Authorization header: Error from server (Unauthorized): Unauthorized"))
        #expect(c2.narrative.contains("-> r4 2026-01-01T12:00:10.100000Z (no identity): delete namespace prod"))
        #expect(c2.narrative.contains("<- 404 after 20.0ms: Error from server (NotFound): secrets \"db\" not found"))
        let (c5, _, _) = try await play(.connection(5), ReplayOptions(speed: 0), fixture: f)
        #expect(c5.narrative.contains("<- 403 after 200us, denied by policy (deny by rule no-deletes: deletes are held for review): Error from server (Forbidden): deletes are held for review"))
        #expect(c5.narrative.contains("<- no response recorded"))
        let (c4, _, _) = try await play(.connection(4), ReplayOptions(speed: 0), fixture: f)
        #expect(c4.narrative == ["== session c4: connection from uid 1002 python3[7000] refused at 2026-01-01T12:00:30.000000Z: the original destination is not a configured API endpoint"])
        let (g, _, _) = try await play(.guardEvent(f.guardSeq), ReplayOptions(speed: 0), fixture: f)
        #expect(g.narrative == ["== guard event g\(f.guardSeq) at 2026-01-01T12:00:40.000000Z: tcp 10.0.0.5:51000 -> 10.0.0.10:6443 dropped (uid 1003 curl[8000]): SYN dropped by the guard"])
        let player = ReplayPlayer(reader: try f.reader(), options: ReplayOptions(speed: 0))
        var cast: AsciicastRecording?
        #expect(try await player.play(.request(99), to: ReplayCapture(), asciicast: &cast) == nil)
        #expect(try await player.play(.connection(99), to: ReplayCapture(), asciicast: &cast) == nil)
    }

    @Test func theAsciicastParsesWithItsHeaderAndEvents() async throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let (_, _, recorded) = try await play(.connection(3), ReplayOptions(speed: 0), fixture: f, asciicast: true)
        var recording = try #require(recorded)
        let lines = recording.finish()
        let parsed = try lines.map { try JSONParser.parse($0) }
        #expect(parsed[0] == ["version": 2, "width": 100, "height": 30, "timestamp": .int(1_767_268_820),
                              "title": "exec into pod web-1 in demo: sh -c 'echo hi'"])
        let events = try parsed.dropFirst().map { event -> (Double, String, String) in
            let items = try #require(event.arrayValue)
            #expect(items.count == 3)
            let time: Double
            switch items[0] {
            case .double(let d): time = d
            case .int(let i): time = Double(i)
            default: time = -1
            }
            return (time, items[1].stringValue ?? "", items[2].stringValue ?? "")
        }
        #expect(events.map(\.1) == ["i", "o", "o", "o", "o", "i", "r", "o"])
        // "é" was split across two chunks: it waits for its second byte.
        #expect(events.map(\.2) == ["echo hi\n", "hi\n", "oops\n", "caf", "é\n", "exit 3\n", "120x40", "bye"])
        #expect(events.map(\.0) == [0.05, 0.15, 0.45, 0.65, 0.75, 0.85, 0.9, 0.95])
        #expect(lines[1] == #"[0.050000, "i", "echo hi\n"]"#)
        // Times never go backwards.
        #expect(events.map(\.0) == events.map(\.0).sorted())
    }

    @Test func characterSplitAcrossChunksIsKeptWhole() {
        var recording = AsciicastRecording()
        let t = ReadingFixture.t0
        recording.beginStream(at: t, title: "x")
        for (i, chunk) in [[0xE2, 0x82] as [UInt8], [0xAC, 0x21], [0xFF, 0x41]].enumerated() {
            recording.add(StreamEventRecord(seq: Int64(i), requestID: 1, at: t + Int64(i), direction: .upstreamToClient, channel: "stdout", data: chunk))
        }
        #expect(recording.events.map(\.data) == ["€!", "\u{FFFD}A"])
    }
}
