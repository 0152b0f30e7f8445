import Kube
import Testing

@testable import Sandbox

@Suite struct AuthenticatorTests {
    let authenticator = Authenticator(
        tokens: [StaticToken(token: "t-admin", user: "admin", uid: "u1", groups: ["system:masters"]),
                 StaticToken(token: "t-dev", user: "developer", uid: "u2", groups: ["developers"])],
        impersonators: ["admin"])

    @Test func bearerTokensAreLookedUp() {
        #expect(authenticator.authenticate(authorization: "Bearer t-admin")
                == .authenticated(UserInfo(username: "admin", uid: "u1", groups: ["system:masters", "system:authenticated"])))
        #expect(authenticator.authenticate(authorization: "Bearer nope") == .rejected)
        #expect(authenticator.authenticate(authorization: "Basic YTpi") == .rejected)
        #expect(authenticator.authenticate(authorization: nil) == .anonymous)
    }

    @Test func anImpersonatorBecomesTheTargetUser() throws {
        let admin = UserInfo(username: "admin")
        let identity = try authenticator.identity(for: admin, headers: [
            ("Impersonate-User", "alice"), ("Impersonate-Group", "devs"), ("impersonate-group", "ops"),
            ("Impersonate-Uid", "1234"), ("Impersonate-Extra-Reason%20code", "jit"),
        ])
        #expect(identity.user == admin)
        #expect(identity.impersonatedUser == UserInfo(username: "alice", uid: "1234", groups: ["devs", "ops", "system:authenticated"],
                                                      extra: ["reason code": ["jit"]]))
    }

    @Test func serviceAccountsGetTheirGroups() throws {
        let identity = try authenticator.identity(for: UserInfo(username: "admin"),
                                                  headers: [("Impersonate-User", "system:serviceaccount:demo:builder")])
        #expect(identity.impersonatedUser?.groups == ["system:serviceaccounts", "system:serviceaccounts:demo", "system:authenticated"])
    }

    @Test func othersGet403AndGroupsWithoutAUserGet500() {
        do {
            _ = try authenticator.identity(for: UserInfo(username: "developer"), headers: [("Impersonate-User", "alice")])
            Issue.record("developer must not impersonate")
        } catch {
            #expect(error.code == 403)
            #expect(error.message == #"users "alice" is forbidden: User "developer" cannot impersonate resource "users" in API group "" at the cluster scope"#)
        }
        do {
            _ = try authenticator.identity(for: UserInfo(username: "admin"), headers: [("Impersonate-Group", "devs")])
            Issue.record("groups without a user must be refused")
        } catch {
            #expect(error.code == 500)
        }
    }

    @Test func tokenFilesParseAndNameTheBadLine() throws {
        let tokens = try StaticToken.parse("# comment\nabc,alice,u1,\"a,b\"\n\nxyz,bob,u2\n", path: "t.csv")
        #expect(tokens == [StaticToken(token: "abc", user: "alice", uid: "u1", groups: ["a", "b"]),
                           StaticToken(token: "xyz", user: "bob", uid: "u2", groups: [])])
        #expect(throws: TokenFileError.self) { try StaticToken.parse("ok,alice,u1\nbroken\n", path: "t.csv") }
        do {
            _ = try StaticToken.parse("ok,alice,u1\nbroken\n", path: "t.csv")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.hasPrefix("t.csv:2: "))
        }
    }
}
