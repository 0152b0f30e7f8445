import Kube

extension ExecResult {
    /// What the error channel reports for a finished command line.
    init(_ outcome: MiniShell.Outcome, command: [String]) {
        switch outcome {
        case .exited(0): self = .success
        case .exited(let code): self = .exitCode(code, command: command)
        case .notFound(let message): self = .failure(message: message)
        }
    }
}
