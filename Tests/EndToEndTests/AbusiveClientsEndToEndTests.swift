import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// Malformed and abusive clients against the whole gateway, from another uid on the agent host
    /// (Tests/clients/abusive_client.py, raw TLS sockets), while the agent's real kubectl keeps being
    /// served. Each case ends as kube-apiserver's server would end it (with a Status) and leaves a
    /// record that names what was wrong.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct AbusiveClientsEndToEndTests {
        typealias Bed = GatewayTestbed

        static let abuserUID: UInt32 = 64_993
        static let options = ["requestHeaderTimeout": "4s", "maxConnectionsPerCaller": "8"]

        /// One abuse, what the abuser must see, and what the store must say.
        struct Case: Sendable {
            var mode: String
            /// The answer; nil when the gateway only closes the connection.
            var status: Int?
            var message: String
            /// The recorded reason (of the rejected request, or of the refused connection).
            var reason: String
            var parallel = 2
        }

        static let cases: [Case] = [
            Case(mode: "oversized-header", status: 431, message: "Request header fields too large: limit is 1048576",
                 reason: "the request line and header fields are over 1048576 bytes"),
            Case(mode: "bad-request-line", status: 400, message: "the request is malformed: invalid HTTP method",
                 reason: "invalid HTTP method"),
            Case(mode: "bad-header", status: 400, message: "the request is malformed: invalid character in header",
                 reason: "invalid character in header"),
            Case(mode: "smuggle", status: 400, message: "Content-Length together with Transfer-Encoding",
                 reason: "Content-Length together with Transfer-Encoding"),
            Case(mode: "oversized-body", status: 413, message: "Request entity too large: limit is 3145728",
                 reason: "the request body is over the limit: Content-Length 4194304 > 3145728 bytes"),
            Case(mode: "slow-head", status: 408, message: "the request head was not complete within 4s",
                 reason: "the request head was not complete within 4s", parallel: 4),
            Case(mode: "slow-body", status: 408, message: "the request body arrived too slowly",
                 reason: "the request body arrived too slowly", parallel: 4),
            Case(mode: "silent", status: nil, message: "", reason: "", parallel: 4),
            Case(mode: "crowd", status: 429, message: "too many open connections from uid 64993",
                 reason: "too many open connections from uid 64993: 9 with this one, over the limit of 8", parallel: 8),
        ]

        @Test("malformed and abusive clients are answered as kube-apiserver answers them and recorded, while kubectl is served")
        func abusiveClients() async throws {
            try await Bed.with(gatewayOptions: Self.options) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await GatewayEndToEndTests.succeed(kubectl, ["get", "ns"])
                let token = try #require(try await bed.mint([["key": "rsa-1", "alg": "RS256",
                                                              "claims": GatewayEndToEndTests.claims(bed, [:])]]).first)
                for abuse in Self.cases {
                    let results = try await Self.run(abuse, bed: bed, token: token, whileServing: kubectl)
                    try Self.check(results, against: abuse)
                    try await Self.checkRecords(of: abuse, in: bed)
                }
                // kubectl itself sending a body over the limit reads the gateway's early 413 and prints it.
                let big = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: default}\ndata:\n  blob: \""
                    + String(repeating: "x", count: 4 << 20) + "\"\n"
                let refused = try await kubectl.run(["create", "-f", "-", "--validate=false"], stdin: big)
                #expect(refused.exitCode == 1, "\(refused)")
                #expect(refused.standardError.contains("Error from server (RequestEntityTooLarge)")
                        && refused.standardError.contains("Request entity too large: limit is 3145728"), "\(refused)")
            }
        }

        /// Starts the abuse as ``abuserUID``; once it is under way, kubectl must still answer, and quickly.
        static func run(_ abuse: Case, bed: Bed, token: String, whileServing kubectl: Kubectl) async throws -> [JSONValue] {
            let script = try PythonTools.clientScript("abusive_client.py")
            let abuser = try bed.agent.launch("/usr/bin/python3", [
                script, abuse.mode, "--host", TestHosts.clusterAddress, "--port", "6443", "--ca", bed.work.path("tls/ca.crt"),
                "--parallel", String(abuse.parallel), "--seconds", "4", "--token", token,
            ], options: LaunchOptions(runAs: RunAs(uid: abuserUID, gid: abuserUID), label: "abusive client \(abuse.mode)"))
            defer { Task { await abuser.terminate() } }
            try await abuser.waitForLine(containing: "\"started\"", timeout: .seconds(60))
            let clock = ContinuousClock()
            let began = clock.now
            let served = try await kubectl.run(["get", "ns", "default"])
            #expect(served.exitCode == 0, "kubectl during \(abuse.mode): \(served)")
            #expect(clock.now - began < .seconds(10), "kubectl took \(clock.now - began) during \(abuse.mode)")
            let done = try await abuser.waitForLine(containing: "\"done\"", timeout: .seconds(120))
            return try JSONParser.parse(done)["results"]?.arrayValue ?? []
        }

        /// Every attempt got exactly the expected answer (or none) and then the end of its connection.
        /// Over the cap, 8 connections (``ClientLimits/answeredRefusalsPerCaller``) are answered and
        /// the rest closed at once.
        static func check(_ results: [JSONValue], against abuse: Case) throws {
            #expect(!results.isEmpty, "\(abuse.mode): no attempt finished")
            if abuse.mode == "crowd" {
                #expect(results.count == 10, "\(results)")
                let answered = results.filter { $0["status"] != .null }
                #expect(answered.count == 8, "\(results)")
                try check(answered, against: Case(mode: "crowd-answered", status: 429, message: abuse.message, reason: abuse.reason))
                try check(results.filter { $0["status"] == .null },
                          against: Case(mode: "crowd-unanswered", status: nil, message: "", reason: ""))
                return
            }
            for result in results {
                #expect(result["closed"] == true, "\(abuse.mode): the gateway kept the connection open: \(result)")
                if let status = abuse.status {
                    #expect(result["status"]?.intValue == Int64(status), "\(abuse.mode): \(result)")
                    #expect(result["responses"] == 1, "\(abuse.mode): \(result)")
                    #expect(result["message"]?.stringValue?.contains(abuse.message) == true, "\(abuse.mode): \(result)")
                } else {
                    #expect(result["responses"] == 0, "\(abuse.mode): \(result)")
                    guard abuse.mode != "crowd-unanswered" else { continue }
                    let seconds: Double = switch result["seconds"] { case .double(let d)?: d; case .int(let i)?: Double(i); default: 0 }
                    #expect(seconds >= 3.5 && seconds < 10, "\(abuse.mode): closed after \(seconds) s: \(result)")
                }
                if abuse.status == 429 { #expect(result["retryAfter"] == "1", "\(result)") }
            }
        }

        /// The store names what was wrong: a rejected request with the code and reason, a refused
        /// connection with its reason, or (for a client that never spoke) a connection that ended
        /// after the head timeout without a request.
        static func checkRecords(of abuse: Case, in bed: Bed) async throws {
            let sql: String
            switch abuse.mode {
            case "crowd":
                sql = "SELECT 429, reason FROM connections WHERE outcome = 'refused' AND uid = \(abuserUID)"
            case "silent":
                sql = """
                    SELECT 0, (e.closed_at - c.opened_at) / 1000 FROM connections c JOIN connection_ends e ON e.connection_id = c.id
                    WHERE c.uid = \(abuserUID) AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.connection_id = c.id)
                    """
            default:
                sql = """
                    SELECT p.status_code, p.reason FROM requests r JOIN responses p ON p.request_id = r.id
                    JOIN connections c ON c.id = r.connection_id WHERE c.uid = \(abuserUID) AND p.rejected = 1
                    AND p.status_code = \(abuse.status ?? 0)
                    """
            }
            let deadline = ContinuousClock.now + .seconds(20)
            var rows: [[String]] = []
            while ContinuousClock.now < deadline {
                rows = try query(sql, in: bed.storePath).filter { abuse.mode == "silent" || $0[1].contains(abuse.reason) }
                if !rows.isEmpty { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            let all = try query(sql, in: bed.storePath)
            #expect(!rows.isEmpty, "\(abuse.mode): no record with \"\(abuse.reason)\"; all: \(all)")
            if abuse.mode == "crowd" {
                let reasons = all.map { $0[1] }
                #expect(reasons.filter { $0.hasSuffix("; answered 429") }.count == 8, "\(reasons)")
                #expect(reasons.filter { $0.hasSuffix("; closed unanswered") }.count == 2, "\(reasons)")
            }
            if abuse.mode == "silent" {
                #expect(rows.contains { (Int($0[1]) ?? 0) >= 3_500 }, "\(rows)")
            }
        }

        /// Rows of `sql` on the recording (read-only, beside the writing gateway), as text.
        static func query(_ sql: String, in store: String) throws -> [[String]] {
            let script = """
                import json, sqlite3, sys
                db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
                print(json.dumps([[str(v) for v in row] for row in db.execute(sys.argv[2])]))
                """
            let result = try HostCommand.check("/usr/bin/python3", ["-c", script, store, sql])
            let rows = try JSONParser.parse(result.standardOutput).arrayValue ?? []
            return rows.map { ($0.arrayValue ?? []).compactMap(\.stringValue) }
        }
    }
}
