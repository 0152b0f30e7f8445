import Foundation
import GRDB
import Kube
import Store
import Testing

@Suite struct StoreReadingTests {
    /// The IDs `sessions` lists for a filter.
    func ids(_ filter: SessionFilter, limit: Int? = nil, in fixture: ReadingFixture) throws -> [String] {
        try fixture.reader().sessions(matching: filter, limit: limit).map(\.reference.description)
    }

    @Test func everyFilterSelectsExactlyTheExpectedSessions() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let g = "g\(f.guardSeq)"
        let at = ReadingFixture.at
        let cases: [(String, SessionFilter, [String])] = [
            ("none", SessionFilter(), ["c1", "c2", "c3", "c4", g, "c5"]),
            ("user alice", SessionFilter(usernames: ["alice"]), ["c1", "c3"]),
            ("user bob or carol", SessionFilter(usernames: ["bob", "carol"]), ["c2", "c5"]),
            ("group devs", SessionFilter(groups: ["devs"]), ["c1", "c3"]),
            ("group ops", SessionFilter(groups: ["ops"]), ["c2", "c5"]),
            ("group system:authenticated", SessionFilter(groups: ["system:authenticated"]), ["c1", "c2", "c3", "c5"]),
            ("verb watch", SessionFilter(verbs: ["watch"]), ["c1"]),
            ("verb delete", SessionFilter(verbs: ["delete"]), ["c2", "c5"]),
            ("resource pods", SessionFilter(resources: ["pods"]), ["c1", "c3", "c5"]),
            ("resource pod", SessionFilter(resources: ["pod"]), ["c1", "c3", "c5"]),
            ("resource pods/exec", SessionFilter(resources: ["pods/exec"]), ["c3"]),
            ("resource configmap", SessionFilter(resources: ["configmap"]), ["c1"]),
            ("resource deployments.apps", SessionFilter(resources: ["deployments.apps"]), ["c5"]),
            ("resource deployments.batch", SessionFilter(resources: ["deployments.batch"]), []),
            ("namespace demo", SessionFilter(namespaces: ["demo"]), ["c1", "c3"]),
            ("namespace prod", SessionFilter(namespaces: ["prod"]), ["c2"]),
            ("outcome allowed", SessionFilter(outcomes: [.allowed]), ["c1", "c2", "c3"]),
            ("outcome rejected", SessionFilter(outcomes: [.rejected]), ["c2", "c4"]),
            ("outcome refused", SessionFilter(outcomes: [.refused]), ["c4"]),
            ("outcome denied", SessionFilter(outcomes: [.denied]), ["c5"]),
            ("outcome bypass", SessionFilter(outcomes: [.bypass]), [g]),
            ("outcome unanswered", SessionFilter(outcomes: [.unanswered]), ["c5"]),
            ("outcome denied or bypass", SessionFilter(outcomes: [.denied, .bypass]), [g, "c5"]),
            ("cluster staging", SessionFilter(clusters: ["staging"]), ["c5"]),
            ("uid 1000", SessionFilter(uids: [1000]), ["c1", "c3"]),
            ("uid 1003", SessionFilter(uids: [1003]), [g]),
            ("since 15s", SessionFilter(since: at(15)), ["c3", "c4", g, "c5"]),
            ("until 12s", SessionFilter(until: at(12)), ["c1", "c2"]),
            ("between 4s and 12s", SessionFilter(since: at(4), until: at(12)), ["c2"]),
            // A connection opened before the range matches by a request inside it.
            ("between 0.5s and 2s", SessionFilter(since: at(0.5), until: at(2)), ["c1"]),
            // Every request field must hold for the same request.
            ("bob rejected", SessionFilter(usernames: ["bob"], outcomes: [.rejected]), []),
            ("alice deleting", SessionFilter(usernames: ["alice"], verbs: ["delete"]), []),
            ("alice creating in demo", SessionFilter(usernames: ["alice"], verbs: ["create"], namespaces: ["demo"]), ["c1", "c3"]),
            ("alice watching after 1s", SessionFilter(usernames: ["alice"], verbs: ["watch"], since: at(1)), []),
            ("carol in staging denied", SessionFilter(usernames: ["carol"], namespaces: ["staging"], outcomes: [.denied]), ["c5"]),
            // Request fields leave out refused connections and bypass attempts.
            ("rejected by uid 1002", SessionFilter(outcomes: [.rejected], uids: [1002]), ["c4"]),
            ("user alice or bypass", SessionFilter(usernames: ["alice"], outcomes: [.bypass]), []),
        ]
        for (name, filter, expected) in cases {
            #expect(try ids(filter, in: f) == expected, "\(name)")
        }
        #expect(try ids(SessionFilter(), limit: 2, in: f) == [g, "c5"])
    }

    @Test func summariesCountRequestsOutcomesAndUsers() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let sessions = try f.reader().sessions()
        let byID = Dictionary(uniqueKeysWithValues: sessions.map { ($0.reference.description, $0) })
        let c1 = try #require(byID["c1"])
        #expect(c1.requestCount == 3)
        #expect(c1.outcomes == [.allowed: 3])
        #expect(c1.usernames == ["alice"])
        #expect(c1.firstIntent == "list pods in demo")
        #expect(c1.caller.shortText == "uid 1000 kubectl[4242]")
        #expect(c1.endedAt == ReadingFixture.at(5))
        let c2 = try #require(byID["c2"])
        #expect(c2.outcomes == [.rejected: 1, .allowed: 1])
        #expect(c2.outcomeText == "rejected,allowed")
        #expect(c2.usernames == ["bob"])
        let c5 = try #require(byID["c5"])
        #expect(c5.outcomeText == "denied,unanswered")
        #expect(c5.cluster == "staging")
        let c4 = try #require(byID["c4"])
        #expect(c4.kind == .refused)
        #expect(c4.reason == "the original destination is not a configured API endpoint")
        let g = try #require(byID["g\(f.guardSeq)"])
        #expect(g.detail == "tcp 10.0.0.5:51000 -> 10.0.0.10:6443 dropped")
        #expect(g.caller.shortText == "uid 1003 curl[8000]")
    }

    @Test func theSessionsTableHasOneAlignedLinePerSession() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let table = SessionsText.table(try f.reader().sessions(matching: SessionFilter(usernames: ["alice"])))
        #expect(table == """
            TIME                  ID  KIND        CALLER                  USER   CLUSTER  REQUESTS  OUTCOME  FIRST INTENT
            2026-01-01T12:00:00Z  c1  connection  uid 1000 kubectl[4242]  alice  prod     3         allowed  list pods in demo
            2026-01-01T12:00:20Z  c3  connection  uid 1000 kubectl[4300]  alice  prod     1         allowed  exec into pod web-1 in demo: sh -c 'echo hi'

            """)
        let all = SessionsText.table(try f.reader().sessions()).split(separator: "\n")
        #expect(all.count == 7)
        #expect(all[4].contains("refused     uid 1002 python3[7000]") && all[4].hasSuffix("the original destination is not a configured API endpoint"))
        #expect(all[5].contains("bypass") && all[5].hasSuffix("tcp 10.0.0.5:51000 -> 10.0.0.10:6443 dropped (SYN dropped by the guard)"))
    }

    @Test func sessionJSONLinesCarryTheFields() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let sessions = try f.reader().sessions()
        let lines = sessions.map(SessionsText.jsonLine)
        let c2 = try JSONParser.parse(lines[1])
        #expect(c2["id"] == "c2")
        #expect(c2["kind"] == "connection")
        #expect(c2["time"] == "2026-01-01T12:00:10.000000Z")
        #expect(c2["endedAt"] == "2026-01-01T12:00:11.000000Z")
        #expect(c2[path: "caller", "uid"] == 1001)
        #expect(c2[path: "caller", "executable"] == "/usr/local/bin/agent")
        #expect(c2["users"] == ["bob"])
        #expect(c2["requests"] == 2)
        #expect(c2["outcomes"] == ["rejected": 1, "allowed": 1])
        #expect(c2["firstIntent"] == "delete namespace prod")
        let g = try JSONParser.parse(lines[4])
        #expect(g["kind"] == "bypass")
        #expect(g["note"] == "SYN dropped by the guard")
        #expect(g[path: "caller", "commandLine"] == ["curl", "-k", "https://10.0.0.10:6443/api"])
    }

    @Test func theTimelineHoldsEachRequestWithItsResponseAndStream() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let timeline = try #require(try f.reader().timeline(connection: 1))
        #expect(timeline.requests.map(\.id) == [1, 2, 3])
        #expect(timeline.requests.map(\.intent) == ["list pods in demo", "watch pods in demo", "create configmap cfg1 in demo"])
        #expect(timeline.requests.map { $0.response?.statusCode } == [200, 200, 201])
        #expect(timeline.requests[0].latency == 12_000)
        #expect(timeline.requests[1].latency == 10_000)
        #expect(timeline.requests[1].duration == 3_000_000)
        #expect(timeline.requests[1].stream?.channels["watch"]?.events == 3)
        // Without --bodies, ordinary bodies stay in the store.
        #expect(timeline.requests[0].response?.body == nil)
        #expect(timeline.requests[2].body == nil)
        let withBodies = try #require(try f.reader().timeline(connection: 1, bodies: true))
        #expect(withBodies.requests[2].body == Array(ReadingFixture.configMap.utf8))
        #expect(withBodies.requests[2].headers.first == RecordedHeader(name: "Accept", value: "application/json"))
        #expect(try f.reader().timeline(connection: 99) == nil)
        // Error bodies always come: they carry the Status.
        let c2 = try #require(try f.reader().timeline(connection: 2))
        #expect(c2.requests[0].response?.body == Array(ReadingFixture.unauthorized.utf8))
        #expect(c2.requests[0].identity == nil)
        #expect(c2.requests[0].outcome == .rejected)
        #expect(c2.requests[1].identity?.extra == ["email": ["bob@example.com"]])
    }

    @Test func aRequestsStreamEventsComeInOrderWithTheirChannels() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let events = try f.reader().streamEvents(request: 6)
        #expect(events.map(\.channel) == ["resize", "stdin", "stdout", "stderr", "stdout", "stdout", "stdin", "resize", "stdout", "error", "close"])
        #expect(events.filter { $0.channel == "stdout" }.flatMap(\.data) == ReadingFixture.execStdout)
        #expect(events[1].direction == .clientToUpstream)
        #expect(events[2].at == ReadingFixture.at(20.2))
        let request = try #require(try f.reader().request(id: 6))
        #expect(request.stream?.exitCode == 3)
        #expect(request.stream?.terminalSize == TerminalSize(width: 100, height: 30))
        #expect(request.stream?.channels["stdin"] == StreamSummary.ChannelTotals(events: 2, bytes: 15))
        #expect(request.isTerminalSession && request.isLongRunning)
        #expect(try f.reader().streamEvents(request: 2).map { ResponseText.watchEvent($0.data) }
                == ["ADDED Pod demo/web-1", "MODIFIED Pod demo/web-1", "DELETED Pod demo/web-1"])
    }

    @Test func showRendersIntentsWithStatusLatencyOutcomeAndDecision() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let c1 = TimelineText.session(try #require(try f.reader().timeline(connection: 1)), bodies: false)
        #expect(c1 == """
            session c1: connection opened 2026-01-01T12:00:00.000000Z, closed 2026-01-01T12:00:05.000000Z (5.00s)
              caller       uid 1000, gid 1000, pid 4242, /usr/bin/kubectl: kubectl get pods -n demo
              from         198.18.0.1:41234
              to           prod at 198.18.0.2:6443
              outcome      allowed
              identity     alice (groups devs; email=alice@example.com; issuer https://issuer.example.com; subject sub-alice)
              requests     3 (3 allowed)

            TIME                         ID  STATUS  LATENCY  OUTCOME  DECISION  USER   INTENT
            2026-01-01T12:00:00.100000Z  r1  200     12.0ms   allowed  -         alice  list pods in demo
            2026-01-01T12:00:00.200000Z  r2  200     10.0ms   allowed  -         alice  watch pods in demo
                stream 2.00s: 3 watch events
            2026-01-01T12:00:01.000000Z  r3  201     5.0ms    allowed  -         alice  create configmap cfg1 in demo

            """)
        let c2 = TimelineText.session(try #require(try f.reader().timeline(connection: 2)), bodies: false)
        #expect(c2.contains("r4  401     300us    rejected  -         -     delete namespace prod\n"
            + "    rejected by the gateway: no bearer token in the Authorization header\n"
            + "    Error from server (Unauthorized): Unauthorized\n"))
        #expect(c2.contains("r5  404     20.0ms   allowed   -         bob   get secret db in prod\n"
            + "    Error from server (NotFound): secrets \"db\" not found\n"))
        let c5 = TimelineText.session(try #require(try f.reader().timeline(connection: 5)), bodies: false)
        #expect(c5.contains("r7  403     200us    denied      deny      carol  delete deployment web in staging\n"
            + "    rejected by the gateway: denied by policy\n"
            + "    Error from server (Forbidden): deletes are held for review\n"
            + "    decision: deny by rule no-deletes: deletes are held for review\n"))
        #expect(c5.contains("r8  -       -        unanswered  -         carol  list pods in staging\n    no response recorded\n"))
        let c3 = TimelineText.session(try #require(try f.reader().timeline(connection: 3)), bodies: false)
        #expect(c3.contains("    stream 1.54s: stdin 2 (15 B), stdout 4 (12 B), stderr 1 (5 B), error 1 (\(ReadingFixture.execStatus.count) B), resize 2 (50 B), close 1 (1 B), terminal 100x30, exit code 3\n"))
    }

    @Test func showWithBodiesAddsHeadersAndBodies() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let text = TimelineText.session(try #require(try f.reader().timeline(connection: 1, bodies: true)), bodies: true)
        #expect(text.contains("    request headers:\n      Accept: application/json\n      Authorization: [REDACTED]\n"))
        #expect(text.contains("    request body (\(ReadingFixture.configMap.utf8.count) B):\n      \(ReadingFixture.configMap)\n"))
        #expect(text.contains("    response body (\(ReadingFixture.createdConfigMap.utf8.count) B):\n      \(ReadingFixture.createdConfigMap)\n"))
    }

    @Test func showOfARequestListsItsStreamEvents() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let reader = try f.reader()
        let request = try #require(try reader.request(id: 6))
        let text = TimelineText.request(request, connection: try reader.connection(id: 3), events: try reader.streamEvents(request: 6),
                                        bodies: false)
        #expect(text.hasPrefix("""
            request r6: exec into pod web-1 in demo: sh -c 'echo hi'
              session      c3 (uid 1000 kubectl[4300], cluster prod)
              received     2026-01-01T12:00:20.010000Z
            """))
        #expect(text.contains("  response     101 after 40.0ms, ended 2026-01-01T12:00:21.700000Z (1.69s), 900 B to the client\n"))
        #expect(text.contains("TIME                         DIR  CHANNEL  BYTES  DATA\n"))
        #expect(text.contains("2026-01-01T12:00:20.060000Z  >    resize   25     100x30\n"))
        #expect(text.contains("2026-01-01T12:00:20.700000Z  <    stdout   4      \"caf\u{FFFD}\"\n"))
        #expect(text.contains("2026-01-01T12:00:21.500000Z  <    error    \(ReadingFixture.execStatus.count)"))
        #expect(text.contains("exit code 3\n"))
        let json = try JSONParser.parse(ReadingJSON.request(request, bodies: false, events: try reader.streamEvents(request: 6)))
        #expect(json["id"] == "r6")
        #expect(json["session"] == "c3")
        #expect(json[path: "stream", "exitCode"] == 3)
        #expect(json["events"]?.arrayValue?.count == 11)
        #expect(json["events"]?.arrayValue?[4]["dataBase64"] == "Y2Fmww==")
        #expect(json["events"]?.arrayValue?[2]["data"] == "hi\n")
    }

    @Test func theTimelineJSONRoundTripsThroughTheParser() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let json = try JSONParser.parse(ReadingJSON.timeline(try #require(try f.reader().timeline(connection: 1, bodies: true)), bodies: true))
        #expect(json["id"] == "c1")
        #expect(json["cluster"] == "prod")
        let requests = try #require(json["requests"]?.arrayValue)
        #expect(requests.map { $0["intent"] } == ["list pods in demo", "watch pods in demo", "create configmap cfg1 in demo"])
        #expect(requests[0]["latencyMicroseconds"] == 12_000)
        #expect(requests[2]["requestBody"] == (try JSONParser.parse(ReadingFixture.configMap)))
        #expect(requests[2][path: "response", "body", "metadata", "uid"] == "0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11")
        #expect(requests[2]["requestHeaders"] == [["Accept", "application/json"], ["Authorization", "[REDACTED]"]])
        #expect(requests[0][path: "user", "groups"] == ["devs"])
    }

    @Test func guardEventsAreReadBySeq() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let event = try #require(try f.reader().guardEvent(seq: f.guardSeq))
        #expect(event.caller.commandLine == ["curl", "-k", "https://10.0.0.10:6443/api"])
        let text = TimelineText.guardEvent(event)
        #expect(text == """
            guard event g\(f.guardSeq): bypass attempt at 2026-01-01T12:00:40.000000Z
              packet       tcp 10.0.0.5:51000 -> 10.0.0.10:6443 dropped (out eth0)
              caller       uid 1003, gid 1003, pid 8000, /usr/bin/curl: curl -k https://10.0.0.10:6443/api
              note         SYN dropped by the guard

            """)
        #expect(try f.reader().guardEvent(seq: 1) == nil)  // seq 1 is a connection
    }

    @Test func recordReferencesParse() {
        #expect(RecordReference("c12") == .connection(12))
        #expect(RecordReference("12") == .connection(12))
        #expect(RecordReference("C12") == .connection(12))
        #expect(RecordReference("r5") == .request(5))
        #expect(RecordReference("g40") == .guardEvent(40))
        #expect(RecordReference("c-3") == .connection(-3), "a refused connection")
        #expect(RecordReference(RecordReference.connection(-3).description) == .connection(-3))
        for bad in ["", "c", "x1", "c-", "r-1", "-1", "c--1", "c1x", "r 1", "c٣"] { #expect(RecordReference(bad) == nil, "\(bad)") }
    }

    @Test func openingNamesThePathAndRefusesWhatIsNotAStore() throws {
        let directory = NSTemporaryDirectory() + "pcl-reading-open-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let missing = directory + "/none.sqlite"
        #expect(throws: StoreReadError.missing(path: missing)) { try StoreReader.open(path: missing) }
        #expect(!FileManager.default.fileExists(atPath: missing), "opening must never create the store")
        let garbage = directory + "/garbage.sqlite"
        try Data("this is not a database, just text that is long enough to look like a header....".utf8).write(to: URL(fileURLWithPath: garbage))
        do {
            _ = try StoreReader.open(path: garbage)
            Issue.record("a text file opened as a store")
        } catch {
            #expect(error.path == garbage)
            #expect(error.description.hasPrefix("cannot open the store \(garbage): "))
        }
        let other = directory + "/other.sqlite"
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE t (x)") }
        #expect(throws: StoreReadError.notAStore(path: other)) { try StoreReader.open(path: other) }
        #expect(throws: StoreReadError.self) { try StoreReader.open(path: directory) }
    }

    @Test func aReaderDoesNotBlockTheWriter() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let writer = try DatabasePool(path: f.path)
        let reader = try f.reader()
        // While a reader holds a snapshot, the writer commits; the snapshot does not see it.
        try reader.database.read { db in
            let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM connections")
            try writer.write { w in
                try w.execute(sql: """
                    INSERT INTO connections (seq, hash, id, opened_at, peer, outcome) VALUES (1000, x'00', 99, ?, '198.18.0.1:1', 'allowed')
                    """, arguments: [ReadingFixture.at(60)])
            }
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM connections") == before)
        }
        #expect(try reader.sessions().last?.reference == .connection(99))
    }
}
