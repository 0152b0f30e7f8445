/// Constructors that mirror apimachinery's `pkg/api/errors` and the apiserver's response writers,
/// message for message.
extension Status {
    /// 401, as the apiserver's authentication filter writes it.
    public static func unauthorized(_ message: String = "Unauthorized") -> Status {
        Status(message: message, reason: "Unauthorized", code: 401)
    }

    /// 403 for an authorization failure, with the apiserver's `forbiddenMessage`.
    /// `reason` is appended after a colon, as the apiserver appends the authorizer's reason.
    /// As in `responsewriters.Forbidden`, `&`, `<` and `>` in the message (but not in the reason)
    /// are replaced by HTML entities.
    public static func forbidden(user: String, request info: RequestInfo, reason: String? = nil) -> Status {
        var message: String
        if !info.isResourceRequest {
            message = "User \(goQuote(user)) cannot \(info.verb) path \(goQuote(info.path))"
        } else {
            let resource = info.subresource.isEmpty ? info.resource : "\(info.resource)/\(info.subresource)"
            message = "User \(goQuote(user)) cannot \(info.verb) resource \(goQuote(resource)) in API group \(goQuote(info.apiGroup))"
            message += info.namespace.isEmpty ? " at the cluster scope" : " in the namespace \(goQuote(info.namespace))"
        }
        message = sanitizeHTML(message)
        if let reason, !reason.isEmpty { message += ": \(reason)" }
        let resource = info.isResourceRequest
            ? GroupResource(group: info.apiGroup, resource: info.resource) : GroupResource(resource: "")
        return forbidden(resource, name: info.name, message)
    }

    /// 403 as `apierrors.NewForbidden(qualifiedResource, name, err)`.
    public static func forbidden(_ resource: GroupResource, name: String, _ error: String) -> Status {
        let message: String
        if resource.isEmpty {
            message = "forbidden: \(error)"
        } else if name.isEmpty {
            message = "\(resource) is forbidden: \(error)"
        } else {
            message = "\(resource) \(goQuote(name)) is forbidden: \(error)"
        }
        return Status(message: message, reason: "Forbidden",
                      details: StatusDetails(name: name, group: resource.group, kind: resource.resource), code: 403)
    }

    /// 404 as `apierrors.NewNotFound`.
    public static func notFound(_ resource: GroupResource, name: String) -> Status {
        Status(message: "\(resource) \(goQuote(name)) not found", reason: "NotFound",
               details: StatusDetails(name: name, group: resource.group, kind: resource.resource), code: 404)
    }

    /// 404 for a path the server does not serve.
    public static func notFoundPath() -> Status {
        Status(message: "the server could not find the requested resource", reason: "NotFound",
               details: StatusDetails(), code: 404)
    }

    /// 409 as `apierrors.NewAlreadyExists`.
    public static func alreadyExists(_ resource: GroupResource, name: String) -> Status {
        Status(message: "\(resource) \(goQuote(name)) already exists", reason: "AlreadyExists",
               details: StatusDetails(name: name, group: resource.group, kind: resource.resource), code: 409)
    }

    /// 409 as `apierrors.NewConflict`.
    public static func conflict(_ resource: GroupResource, name: String, _ error: String) -> Status {
        Status(message: "Operation cannot be fulfilled on \(resource) \(goQuote(name)): \(error)", reason: "Conflict",
               details: StatusDetails(name: name, group: resource.group, kind: resource.resource), code: 409)
    }

    /// The optimistic-concurrency message kube-apiserver puts in a resourceVersion conflict.
    public static let modifiedConflictMessage =
        "the object has been modified; please apply your changes to the latest version and try again"

    /// 429 as `apierrors.NewTooManyRequests`.
    public static func tooManyRequests(_ message: String, retryAfterSeconds: Int) -> Status {
        Status(message: message, reason: "TooManyRequests",
               details: StatusDetails(retryAfterSeconds: retryAfterSeconds), code: 429)
    }

    /// 500 as `apierrors.NewInternalError`.
    public static func internalError(_ error: String) -> Status {
        Status(message: "Internal error occurred: \(error)", reason: "InternalError",
               details: StatusDetails(causes: [StatusCause(message: error)]), code: 500)
    }

    /// 502 for an upstream that answered badly or not at all. apimachinery has no reason for 502;
    /// clients map any 5xx without one to InternalError, so that is the reason given.
    public static func badGateway(_ message: String) -> Status {
        Status(message: message, reason: "InternalError", code: 502)
    }

    /// 503 as `apierrors.NewServiceUnavailable`.
    public static func serviceUnavailable(_ message: String) -> Status {
        Status(message: message, reason: "ServiceUnavailable", code: 503)
    }

    /// 400 as `apierrors.NewBadRequest`.
    public static func badRequest(_ message: String) -> Status {
        Status(message: message, reason: "BadRequest", code: 400)
    }

    /// 405 as `apierrors.NewMethodNotSupported`.
    public static func methodNotSupported(_ resource: GroupResource, action: String) -> Status {
        Status(message: "\(action) is not supported on resources of kind \(goQuote(resource.description))",
               reason: "MethodNotAllowed", details: StatusDetails(group: resource.group, kind: resource.resource),
               code: 405)
    }

    /// 410 for a watch or list from a resourceVersion that is no longer held.
    public static func expired(_ message: String) -> Status {
        Status(message: message, reason: "Expired", code: 410)
    }

    /// 415 as `apierrors.NewUnsupportedMediaType`-style responses from the patch handler.
    public static func unsupportedMediaType(_ contentType: String) -> Status {
        Status(message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
               reason: "UnsupportedMediaType", details: StatusDetails(), code: 415)
    }

    /// 422 as `apierrors.NewInvalid`.
    public static func invalid(kind: String, group: String = "", name: String, causes: [StatusCause]) -> Status {
        let joined = causes.map { cause in
            [cause.field, cause.message].compactMap { $0 }.joined(separator: ": ")
        }
        let summary = joined.count == 1 ? joined[0] : "[" + joined.joined(separator: ", ") + "]"
        let qualified = group.isEmpty ? kind : "\(kind).\(group)"
        // With no causes Go's aggregate error is nil and the message has no colon.
        let message = joined.isEmpty ? "\(qualified) \(goQuote(name)) is invalid" : "\(qualified) \(goQuote(name)) is invalid: \(summary)"
        return Status(message: message, reason: "Invalid",
                      details: StatusDetails(name: name, group: group, kind: kind, causes: causes), code: 422)
    }

    /// 413 as `apierrors.NewRequestEntityTooLargeError`, e.g. with `"limit is 3145728"`.
    public static func requestEntityTooLarge(_ message: String) -> Status {
        Status(message: "Request entity too large: \(message)", reason: "RequestEntityTooLarge", code: 413)
    }

    /// 408 for a request that did not arrive in time. apimachinery has no 408; the reason is its
    /// `Timeout`, which clients read as "the request did not complete in time".
    public static func requestTimeout(_ message: String) -> Status {
        Status(message: message, reason: "Timeout", code: 408)
    }

    /// 431 for a request head over the server's limit, in the form of ``requestEntityTooLarge(_:)``
    /// (`"limit is 1048576"`). apimachinery has no reason for 431, so none is given; kubectl then
    /// prints `Error from server: <message>`.
    public static func requestHeaderFieldsTooLarge(_ message: String) -> Status {
        Status(message: "Request header fields too large: \(message)", code: 431)
    }

    /// responsewriters' `sanitizer`: `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`.
    static func sanitizeHTML(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
