import Kube

/// `portcullis status` as one screen of text.
enum StatusText {
    static func lines(_ s: JSONValue, enforcing: Bool) -> [String] {
        var out = ["enforcing: " + (enforcing ? "yes" : "NO")]
        for problem in s["problems"]?.arrayValue?.compactMap(\.stringValue) ?? [] { out.append("  problem: \(problem)") }
        if let rules = s["rules"] {
            let drift = rules["drift"]?.arrayValue?.compactMap(\.stringValue) ?? []
            out.append("rules:    " + (rules["verified"]?.boolValue == true ? "verified" : "DRIFTED") + " (\(rules["backend"]?.stringValue ?? "?"))")
            out += drift.map { "          \($0)" }
        }
        if let listening = s[path: "proxy", "listening"]?.arrayValue?.compactMap(\.stringValue) {
            out.append("proxy:    " + (listening.isEmpty ? "NOT LISTENING" : "listening on " + listening.joined(separator: ", ")))
        }
        if let r = s["relay"] {
            out.append("relay:    \(r["enrolled"]?.intValue ?? 0) gateway certificates enrolled, \(r["connections"]?.intValue ?? 0) gateway connections open"
                       + (r["error"]?.stringValue.map { ", REGISTRY UNREADABLE: \($0)" } ?? ""))
        }
        if let g = s["guard"] {
            out.append("guard:    " + (g["attached"]?.boolValue == true ? "attached" : "DETACHED") + " to queue \(g["queue"]?.intValue ?? 0), "
                       + "\(g["packets"]?.intValue ?? 0) packets dropped and recorded, \(g["verdictFailures"]?.intValue ?? 0) verdict failures")
        }
        if let st = s["store"] {
            var line = "store:    \(st["path"]?.stringValue ?? "?"), " + (st["writable"]?.boolValue == true ? "writable" : "NOT WRITABLE")
            if let reason = st["reason"]?.stringValue { line += " (\(reason))" }
            line += ", \(st["bytes"]?.intValue ?? 0) bytes, queue \(st["queueDepth"]?.intValue ?? 0)"
            out.append(line)
            if let durability = st["durability"]?.stringValue {
                out.append("          durability \(durability): \(st["durabilityPromise"]?.stringValue ?? "")")
            }
            if let oldest = st["oldest"]?.stringValue, let newest = st["newest"]?.stringValue {
                out.append("          records from \(oldest) to \(newest)")
            }
        }
        for issuer in s["issuers"]?.arrayValue ?? [] {
            var line = "issuer:   \(issuer["issuer"]?.stringValue ?? "?"): \(issuer["keys"]?.intValue ?? 0) keys"
            if let age = issuer["ageSeconds"]?.intValue { line += ", fetched \(age)s ago" }
            if let error = issuer["lastError"]?.stringValue { line += ", last error: \(error)" }
            out.append(line)
        }
        let p = s["policy"] ?? .null
        out.append("policy:   \(p["file"]?.stringValue ?? "?"), generation \(p["generation"]?.intValue ?? 0), loaded \(p["loadedAt"]?.stringValue ?? "?")")
        out.append("          \(p["rules"]?.intValue ?? 0) rules, default effect \(p["defaultEffect"]?.stringValue ?? "?"), sha256 \(p["digest"]?.stringValue ?? "?")")
        if let refused = p["lastError"]?.stringValue {
            out.append("reload:   REFUSED at \(p["lastErrorAt"]?.stringValue ?? "?"): \(refused)")
            out.append("          the policy above stays in force until the file is fixed")
        }
        out.append("pending:  \(s["pending"]?.intValue ?? 0) held for review")
        out.append("grants:   \(s["grants"]?.intValue ?? 0) in force")
        if let h = s["lastHour"], h != .null {
            let parts = ["allowed", "denied", "rejected", "unanswered", "bypass"].map { "\(h[$0]?.intValue ?? 0) \($0)" }
            out.append("last hour: " + parts.joined(separator: ", "))
        }
        if let callers = s["callers"], callers != .null { out.append(AttributionStatus.line(callers)) }
        if let metrics = s["metrics"]?.stringValue { out.append("metrics:  http://\(metrics)/metrics") }
        if let c = s["central"], c != .null { out += central(c) }
        return out
    }

    /// "central:  runner-a -> postgresql://… (async): shipped through seq 120, 0 rows behind".
    static func central(_ c: JSONValue) -> [String] {
        var out = ["central:  \(c["host"]?.stringValue ?? "?") -> \(c["store"]?.stringValue ?? "?") (\(c["mode"]?.stringValue ?? "?")): "
                   + (c["reachable"]?.boolValue == true ? "" : "UNREACHABLE, ")
                   + "shipped through seq \(c["shippedSeq"]?.intValue ?? 0), \(c["rowsBehind"]?.intValue ?? 0) rows behind"]
        if let age = c["oldestUnshippedAgeSeconds"]?.intValue { out.append("          the oldest unshipped row is \(age)s old") }
        if let error = c["lastError"]?.stringValue { out.append("          last error (\(c["lastErrorAt"]?.stringValue ?? "?")): \(error)") }
        if c["notifications"]?.boolValue != true { out.append("          fleet notifications: not listening (decisions and grants arrive by polling)") }
        return out
    }
}
