import ArgumentParser
import Kube

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask the running gateway how it is: the policy in force (and why a reload was refused), held requests, grants.",
        discussion: "Exits 1 when the last policy reload was refused (the previous policy stays in force). Needs root or the admin group.")

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let answer = try await admin.call(.get, "/v1/status")
        let refused = answer[path: "policy", "lastError"]?.stringValue
        if admin.json {
            admin.printJSON(answer)
        } else {
            let p = answer["policy"] ?? .null
            print("policy:   \(p["file"]?.stringValue ?? "?"), generation \(p["generation"]?.intValue ?? 0), loaded \(p["loadedAt"]?.stringValue ?? "?")")
            print("          \(p["rules"]?.intValue ?? 0) rules, default effect \(p["defaultEffect"]?.stringValue ?? "?"), sha256 \(p["digest"]?.stringValue ?? "?")")
            if let refused {
                print("reload:   REFUSED at \(p["lastErrorAt"]?.stringValue ?? "?"): \(refused)")
                print("          the policy above stays in force until the file is fixed")
            }
            print("pending:  \(answer["pending"]?.intValue ?? 0) held for review")
            print("grants:   \(answer["grants"]?.intValue ?? 0) in force")
        }
        if refused != nil { throw ExitCode(1) }
    }
}
