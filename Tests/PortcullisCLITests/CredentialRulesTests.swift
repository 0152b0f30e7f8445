import Kube
import Proxy
import Testing

@testable import portcullis

/// `doctor --cluster`'s judgement of a SelfSubjectRulesReview: a least-privileged credential
/// passes; each over-privilege is named.
@Suite struct CredentialRulesTests {
    static let issuer = OIDCIssuerConfiguration(issuerURL: "https://issuer.example.com", audiences: ["portcullis"],
                                                usernamePrefix: "oidc:", groupsClaim: "groups", groupsPrefix: "oidc:",
                                                extraClaims: ["email"])
    static let needs = CredentialRules.Needs(issuers: [issuer])

    static func review(_ rules: [JSONValue], nonResource: [JSONValue] = [], incomplete: Bool = false) -> CredentialRules {
        let everyone: [JSONValue] = [
            ["verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]],
            ["verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]],
        ]
        let paths: [JSONValue] = [["verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/version"]]]
        return CredentialRules(review: ["status": ["resourceRules": .array(everyone + rules), "nonResourceRules": .array(paths + nonResource),
                                                   "incomplete": .bool(incomplete)]])
    }

    static let leastPrivileged: [JSONValue] = [
        ["verbs": ["impersonate"], "apiGroups": [""], "resources": ["groups"], "resourceNames": ["oidc:ai-agents", "oidc:devs"]],
        ["verbs": ["impersonate"], "apiGroups": [""], "resources": ["users"], "resourceNames": ["oidc:agent-7"]],
        ["verbs": ["impersonate"], "apiGroups": ["authentication.k8s.io"], "resources": ["userextras/email"]],
    ]

    @Test func aLeastPrivilegedCredentialPasses() {
        #expect(Self.review(Self.leastPrivileged).problems(needs: Self.needs) == [])
        let finding = ClusterCredentialCheck.judge(Self.review(Self.leastPrivileged), check: "cluster-credential:prod", cluster: "prod",
                                                   namespace: "default", needs: Self.needs)
        #expect(finding.ok, "\(finding)")
    }

    @Test func eachOverPrivilegeIsNamed() {
        func problems(_ rules: [JSONValue], nonResource: [JSONValue] = []) -> String {
            Self.review(Self.leastPrivileged + rules, nonResource: nonResource).problems(needs: Self.needs).joined(separator: " | ")
        }
        #expect(problems([["verbs": ["impersonate"], "apiGroups": [""], "resources": ["groups"], "resourceNames": ["system:masters"]]])
                .contains("system:masters (cluster-admin)"))
        #expect(problems([["verbs": ["impersonate"], "apiGroups": [""], "resources": ["groups"]]])
                .contains("any of groups (no resourceNames), system:masters included"))
        #expect(problems([["verbs": ["impersonate"], "apiGroups": [""], "resources": ["users"], "resourceNames": ["system:admin"]]])
                .contains("users of the system: namespace: system:admin"))
        #expect(problems([["verbs": ["impersonate"], "apiGroups": [""], "resources": ["users"], "resourceNames": ["alice"]]])
                .contains("users outside the configured prefixes (oidc:): alice"))
        #expect(problems([["verbs": ["impersonate"], "apiGroups": [""], "resources": ["serviceaccounts"]]]).contains("service accounts"))
        #expect(problems([["verbs": ["impersonate"], "apiGroups": ["authentication.k8s.io"], "resources": ["uids"]]]).contains("uids"))
        #expect(problems([["verbs": ["impersonate"], "apiGroups": ["authentication.k8s.io"], "resources": ["userextras/scopes"]]])
                .contains(#"the extra "scopes", but extraClaims are email"#))
        #expect(problems([["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]]]).contains("may impersonate anything"))
        #expect(problems([["verbs": ["get", "list"], "apiGroups": [""], "resources": ["secrets"]]])
                == "it holds rights of its own beyond impersonation: get,list on secrets")
        #expect(problems([], nonResource: [["verbs": ["*"], "nonResourceURLs": ["*"]]])
                == "it holds rights of its own beyond impersonation: * on *")
        #expect(Self.review(Self.leastPrivileged, incomplete: true).problems(needs: Self.needs).first?.contains("incomplete") == true)
    }

    @Test func anOverPrivilegedFindingNamesTheFix() {
        let finding = ClusterCredentialCheck.judge(
            Self.review([["verbs": ["impersonate"], "apiGroups": [""], "resources": ["users", "groups"]]]),
            check: "cluster-credential:prod", cluster: "prod", namespace: "default", needs: Self.needs)
        #expect(!finding.ok)
        #expect(finding.message.hasPrefix("cluster prod: the gateway's credential is over-privileged"))
        #expect(finding.fix?.contains("docs/proxy.md") == true)
    }
}
