import Kube

/// `POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews`: what the requesting user (the
/// impersonated one, when impersonating) may do, from the rules file (``SandboxRules``) plus the
/// rules every authenticated user has in a real cluster (system:basic-user's self-reviews and
/// system:discovery's and system:public-info-viewer's paths). Without a rules file the sandbox
/// has no RBAC, so it answers truthfully that everyone may do everything. The file is read at every
/// review; one that no longer reads gets a 500 Status naming the problem.
struct SelfSubjectRulesReviews {
    let rulesFile: String?

    static let defaultResourceRules: [JSONValue] = [
        rule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
        rule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"]),
    ]

    static let defaultNonResourceRules: [JSONValue] = [
        .object(["verbs": ["get"], "nonResourceURLs": .array(["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
                                                              "/openapi/*", "/readyz", "/version", "/version/"].map(JSONValue.string))]),
    ]

    static func rule(verbs: [String], apiGroups: [String], resources: [String]) -> JSONValue {
        .object(["verbs": .array(verbs.map(JSONValue.string)), "apiGroups": .array(apiGroups.map(JSONValue.string)),
                 "resources": .array(resources.map(JSONValue.string))])
    }

    func handle(_ request: APIRequest) -> APIResponse {
        guard request.info.verb == "create", request.info.name.isEmpty else {
            return .status(Status.methodNotSupported(request.info.groupResource, action: request.info.verb))
        }
        let review: JSONValue
        do {
            review = try BodyDecoding.decodeObject(request.body, contentType: request.contentType)
        } catch {
            return .status(error)
        }
        guard let namespace = review[path: "spec", "namespace"]?.stringValue, !namespace.isEmpty else {
            return .status(Status.badRequest("no namespace on request"))
        }
        var status: [String: JSONValue] = ["incomplete": false]
        if let rulesFile {
            let rules: SandboxRules
            do {
                rules = try SandboxRules.load(path: rulesFile)
            } catch {
                return .status(Status(message: error.message, reason: "InternalError", details: StatusDetails(), code: 500))
            }
            let mine = rules.users[request.user.username]
            status["resourceRules"] = .array(Self.defaultResourceRules + (mine?.resourceRules ?? []))
            status["nonResourceRules"] = .array(Self.defaultNonResourceRules + (mine?.nonResourceRules ?? []))
        } else {
            status["resourceRules"] = .array([Self.rule(verbs: ["*"], apiGroups: ["*"], resources: ["*"])])
            status["nonResourceRules"] = .array([.object(["verbs": ["*"], "nonResourceURLs": ["*"]])])
        }
        let body: JSONValue = .object([
            "kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
            "metadata": .object(["creationTimestamp": .null]), "spec": .object(["namespace": .string(namespace)]),
            "status": .object(status),
        ])
        return .json(code: 201, body: body)
    }
}
