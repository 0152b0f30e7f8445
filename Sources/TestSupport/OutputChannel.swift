/// Which of a child's output streams to look at.
public enum OutputChannel: Sendable, Hashable, CustomStringConvertible {
    case standardOutput
    case standardError
    /// Either stream: a line matches if it appears in one of them.
    case either

    public var description: String {
        switch self {
        case .standardOutput: "stdout"
        case .standardError: "stderr"
        case .either: "stdout or stderr"
        }
    }
}
