import Foundation
import Kube
import NIOHTTP1
import NIOPosix
import Proxy

/// `portcullis doctor --cluster NAME`: asks the cluster, with the gateway's own credential, a
/// SelfSubjectRulesReview (authorization.k8s.io/v1) of what that credential may do, and judges the
/// answer (``CredentialRules``). The finding's check is `cluster-credential:NAME`.
enum ClusterCredentialCheck {
    static func run(cluster: ClusterUpstream, namespace: String, issuers: [OIDCIssuerConfiguration]) async -> DoctorFinding {
        let check = "cluster-credential:\(cluster.name)"
        let review: JSONValue = [
            "kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1", "spec": ["namespace": .string(namespace)],
        ]
        let client = ClusterClient(cluster: cluster, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let response: ClusterResponse
        do {
            response = try await client.send(.POST, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", json: review.jsonBytes())
        } catch {
            return .problem(check, "cannot ask the cluster what the gateway's credential may do: \(error)",
                            fix: "check the cluster's endpoints, caFile, serverNames and credential in the configuration")
        }
        guard response.status == 201 || response.status == 200, let answer = try? JSONParser.parse(response.body),
              answer["kind"]?.stringValue == "SelfSubjectRulesReview" else {
            let status = (try? JSONParser.parse(response.body)).flatMap { try? Status(json: $0) }
            return .problem(check, "the cluster answered the SelfSubjectRulesReview with \(response.status)\(status?.message.map { ": \($0)" } ?? "")",
                            fix: "make sure the credential authenticates (a 401 means it does not) and may create selfsubjectrulesreviews (every authenticated user may, through system:basic-user)")
        }
        return judge(CredentialRules(review: answer), check: check, cluster: cluster.name, namespace: namespace,
                     needs: CredentialRules.Needs(issuers: issuers))
    }

    static func judge(_ rules: CredentialRules, check: String, cluster: String, namespace: String,
                      needs: CredentialRules.Needs) -> DoctorFinding {
        let problems = rules.problems(needs: needs)
        guard problems.isEmpty else {
            return .problem(check, "cluster \(cluster): the gateway's credential is over-privileged (rules in namespace \(namespace)): "
                                + problems.joined(separator: "; "),
                            fix: "bind the gateway's identity only to the least-privileged ClusterRole in docs/proxy.md (impersonate on the issuers' prefixed groups and users, and on userextras of the configured extraClaims), and remove its other bindings")
        }
        let impersonated = rules.resourceRules.filter { $0.verbs.contains("impersonate") }
            .map { CredentialRules.describe(group: $0.apiGroups.first ?? "", resource: $0.resources.joined(separator: ","), names: $0.resourceNames) }
        return .ok(check, "cluster \(cluster): the gateway's credential may only impersonate "
                   + (impersonated.isEmpty ? "nothing (the gateway then cannot forward)" : impersonated.joined(separator: "; "))
                   + ", and holds no rights of its own")
    }
}
