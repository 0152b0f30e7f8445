import ArgumentParser
import Kube

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask the running gateway whether it is enforcing: rules, proxy, guard, store, issuers' keys, policy, and the last hour.",
        discussion: """
            Exits 0 when everything enforces, 1 when something does not (the problems are listed: drifted rules, \
            a detached guard, an unwritable store, an issuer without keys, a refused policy reload), 3 when the \
            gateway cannot be reached. --json prints the same for monitoring. Needs root or the admin group.
            """)

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let answer = try await admin.call(.get, "/v1/status")
        let enforcing = answer["enforcing"]?.boolValue ?? (answer[path: "policy", "lastError"] == nil)
        if admin.json {
            admin.printJSON(answer)
        } else {
            StatusText.lines(answer, enforcing: enforcing).forEach { print($0) }
        }
        if !enforcing { throw ExitCode(1) }
    }
}
