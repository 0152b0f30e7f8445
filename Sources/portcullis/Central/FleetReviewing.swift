import ArgumentParser
import Central
import Kube
import Proxy
import Store

/// `pending`, `approve` and `deny` with `--central`: requests held anywhere in the fleet.
enum FleetReviewing {
    static func pending(_ admin: AdminOptions) async throws {
        let configuration = try admin.centralConfiguration()
        let host = admin.host
        let held = try await CentralSession.with(configuration) { client in
            try await CentralReviews.pending(host: host, client: client, logger: CentralSession.logger)
        }
        if admin.json {
            for h in held {
                var w = GoJSONObjectWriter()
                w.string("id", h.reference)
                w.string("host", h.host)
                w.string("request", "r\(h.requestID)")
                w.string("user", h.username)
                w.stringArray("groups", h.groups)
                w.string("intent", h.intent)
                w.string("body", h.bodySummary)
                w.string("rule", h.rule)
                w.stringOmitEmpty("reason", h.reason)
                w.string("heldAt", h.heldAt.rfc3339Micro)
                w.string("deadline", h.deadline.rfc3339Micro)
                print(w.finishedText)
            }
            return
        }
        guard !held.isEmpty else { return print("no requests are waiting for review in \(configuration.endpointDescription)") }
        let now = StoreClock.now()
        var table = TextTable(["ID", "WAITING", "LEFT", "USER", "RULE", "INTENT"])
        for h in held {
            table.add([h.reference, ReadingFormat.duration(now.microseconds - h.heldAt.microseconds),
                       ReadingFormat.duration(max(0, h.deadline.microseconds - now.microseconds)), h.username, h.rule, h.intent])
        }
        table.lines().forEach { print($0) }
        print("")
        for h in held { print("\(h.reference): body: \(h.bodySummary)" + (h.reason.map { "; rule says: \($0)" } ?? "")) }
    }

    static func decide(_ admin: AdminOptions, id: String, allow: Bool, reason: String?) async throws {
        let configuration = try admin.centralConfiguration()
        let (host, request) = try reference(id, host: admin.host)
        let reason = reason.flatMap { $0.isEmpty ? nil : $0 }
        let decision = try await CentralSession.with(configuration) { client in
            do {
                return try await CentralReviews.decide(host: host, requestID: request, allow: allow, reason: reason, client: client,
                                                       logger: CentralSession.logger)
            } catch {
                let failure = CentralStoreError.from(error, store: configuration.endpointDescription, doing: "recording the decision")
                if case .server(_, _, let state, let message) = failure, ["P0001", "P0002", "23505"].contains(state) {
                    throw ReadingCommand.fail(state == "23505" ? "\(host)/r\(request) was already decided" : message)
                }
                throw failure
            }
        }
        if admin.json {
            var w = GoJSONObjectWriter()
            w.string("id", "\(host)/r\(request)")
            w.string("verdict", decision.allow ? "approved" : "denied")
            w.string("reviewer", decision.reviewer)
            w.stringOmitEmpty("reason", decision.reason)
            return print(w.finishedText)
        }
        print("\(decision.allow ? "approved" : "denied") \(host)/r\(request) as central role \(decision.reviewer); "
              + "the gateway on \(host) applies it within a second")
    }

    /// `runner-a/r57`, or `r57` / `57` with `--host runner-a`.
    static func reference(_ text: String, host: String?) throws -> (host: String, request: Int64) {
        var id = Substring(text)
        var named = host
        if let slash = text.lastIndex(of: "/") {
            named = String(text[..<slash])
            id = text[text.index(after: slash)...]
        }
        if id.hasPrefix("r") { id = id.dropFirst() }
        guard let named, !named.isEmpty, let number = Int64(id), number > 0 else {
            throw ReadingCommand.fail("'\(text)' is not a held request: expected HOST/r<N> as portcullis pending --central lists it")
        }
        return (named, number)
    }
}
