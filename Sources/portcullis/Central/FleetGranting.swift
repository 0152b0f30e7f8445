import ArgumentParser
import Central
import Kube
import Proxy
import Store

/// `grant`, `revoke` and `grants` with `--central`: grants for every host of the fleet, or one.
enum FleetGranting {
    static func grant(_ admin: AdminOptions, request: JSONValue) async throws {
        let configuration = try admin.centralConfiguration()
        let now = StoreClock.now()
        let grant: Grant
        do {
            grant = try AdminService.grant(from: request, by: .centralRole(configuration.user), at: now)
        } catch {
            throw ReadingCommand.fail(error.description)
        }
        let seconds = (grant.expiresAt.microseconds - grant.createdAt.microseconds) / 1_000_000
        let host = admin.host
        let entry = try await CentralSession.with(configuration) { client in
            try await CentralGrants.issue(grant, lifetimeSeconds: seconds, forHost: host, client: client, logger: CentralSession.logger)
        }
        if admin.json { return print(json(entry)) }
        print("granted \(entry.grant.id): \(GrantText.scope(entry.grant)) to \(entry.grant.subject), until \(entry.grant.expiresAt.rfc3339), "
              + "on \(host.map { "host \($0)" } ?? "every host") (as central role \(GrantText.principal(entry.grant.createdBy)))")
    }

    static func revoke(_ admin: AdminOptions, id: String, reason: String?) async throws {
        let configuration = try admin.centralConfiguration()
        let reason = reason.flatMap { $0.isEmpty ? nil : $0 }
        let revocation = try await CentralSession.with(configuration) { client in
            do {
                return try await CentralGrants.revoke(id: id, reason: reason, client: client, logger: CentralSession.logger)
            } catch {
                let failure = CentralStoreError.from(error, store: configuration.endpointDescription, doing: "recording the revocation")
                if case .server(_, _, let state, _) = failure, state == "23503" {
                    throw ReadingCommand.fail("no grant \(id) was made through the central store (see portcullis grants --central)")
                }
                if case .server(_, _, let state, _) = failure, state == "23505" { throw ReadingCommand.fail("grant \(id) was already revoked") }
                throw failure
            }
        }
        if admin.json {
            var w = GoJSONObjectWriter()
            w.string("id", id)
            w.string("revokedAt", revocation.at.rfc3339Micro)
            w.string("revokedBy", revocation.by)
            return print(w.finishedText)
        }
        print("revoked \(id) as central role \(revocation.by); every gateway it applies to ends it within a second")
    }

    static func list(_ location: StoreLocationOptions, all: Bool, json asJSON: Bool) async throws {
        let now = StoreClock.now()
        let entries = try await CentralReading.with(location) { reader in
            try await CentralGrants.list(all: all, client: reader.client, logger: CentralSession.logger, now: now)
        }
        if asJSON { return entries.forEach { print(json($0)) } }
        guard !entries.isEmpty else { return print(all ? "no grants were ever made through the central store" : "no central grants are in force") }
        var table = TextTable(["ID", "STATE", "HOST", "SUBJECT", "SCOPE", "EXPIRES", "BY", "REASON"])
        for e in entries {
            table.add([e.grant.id, state(e, now), e.grant.host ?? "*", e.grant.subject.description, GrantText.scope(e.grant),
                       e.grant.expiresAt.rfc3339, GrantText.principal(e.grant.createdBy), e.grant.reason])
        }
        table.lines().forEach { print($0) }
    }

    static func state(_ e: CentralGrants.Entry, _ now: KubeTime) -> String {
        e.revocation != nil ? "revoked" : (e.grant.isActive(at: now) ? "active" : "expired")
    }

    static func json(_ e: CentralGrants.Entry) -> String {
        var w = GoJSONObjectWriter()
        AdminJSON.grant(e.grant, &w)
        w.string("state", state(e, StoreClock.now()))
        if let r = e.revocation {
            w.string("revokedAt", r.at.rfc3339Micro)
            w.string("revokedBy", r.by)
            w.stringOmitEmpty("revokeReason", r.reason)
        }
        return w.finishedText
    }
}
