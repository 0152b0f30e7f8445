import Kube

/// One result of `portcullis doctor`: a check that passed, or a problem with its fix.
struct DoctorFinding: Equatable {
    /// The check's name: `iptables-backends`, `ipv6`, `credential-files`, `agent-capabilities`, `kubeconfigs`.
    var check: String
    var ok: Bool
    var message: String
    var fix: String?

    static func ok(_ check: String, _ message: String) -> DoctorFinding { DoctorFinding(check: check, ok: true, message: message) }

    static func problem(_ check: String, _ message: String, fix: String) -> DoctorFinding {
        DoctorFinding(check: check, ok: false, message: message, fix: fix)
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["check": .string(check), "ok": .bool(ok), "message": .string(message)]
        if let fix { object["fix"] = .string(fix) }
        return .object(object)
    }
}
