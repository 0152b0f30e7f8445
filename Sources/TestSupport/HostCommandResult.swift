/// The outcome of a ``HostCommand``: how it ended and everything it printed.
public struct HostCommandResult: Sendable {
    public let command: String
    public let status: ExitStatus
    public let standardOutput: String
    public let standardError: String

    init(command: String, status: ExitStatus, standardOutput: String, standardError: String) {
        self.command = command
        self.status = status
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    init(command: String, snapshot: ChildSnapshot) {
        self.command = command
        self.status = snapshot.exitStatus ?? .signalled(0)
        self.standardOutput = String(decoding: snapshot.standardOutput, as: UTF8.self)
        self.standardError = String(decoding: snapshot.standardError, as: UTF8.self)
    }
}
